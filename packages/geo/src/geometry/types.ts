/**
 * GeoJSON geometry objects (RFC 7946 §3.1), the one form every geometry argument is normalised
 * to before it reaches SQL (as a parameter of `ST_GeomFromGeoJSON`).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7946#section-3.1
 */

/** A position: longitude/easting, latitude/northing and an optional elevation. */
export type Position = number[]

/** A GeoJSON geometry object. */
export type Geometry =
  | { type: 'Point'; coordinates: Position }
  | { type: 'MultiPoint'; coordinates: Position[] }
  | { type: 'LineString'; coordinates: Position[] }
  | { type: 'MultiLineString'; coordinates: Position[][] }
  | { type: 'Polygon'; coordinates: Position[][] }
  | { type: 'MultiPolygon'; coordinates: Position[][][] }
  | { type: 'GeometryCollection'; geometries: Geometry[] }

/** A geometry with its spatial reference (EWKT's `SRID=n;`, else 4326) and its bounding box. */
export interface GeometryArgument {
  geometry: Geometry
  srid: number
  /** `[minx, miny, maxx, maxy]` in the geometry's own SRID. */
  bbox: [number, number, number, number]
}

/** WGS 84 longitude/latitude: RFC 7946's only CRS, and the SRID of WKT given without one. */
export const WGS84 = 4326

/** Web Mercator, the CRS of vector tiles. */
export const WEB_MERCATOR = 3857
