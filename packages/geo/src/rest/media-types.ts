/**
 * Response media types geo adds to rest:
 * - `application/geo+json`: a GeoJSON `FeatureCollection` built by `ST_AsGeoJSON(row)`, exactly
 *   as PostgREST builds it (the first geometry column is the feature's geometry, the other
 *   columns and embedded resources are its `properties`);
 * - `application/vnd.mapbox-vector-tile; tile=z/x/y`: a Mapbox Vector Tile of the rows, built by
 *   `ST_AsMVT`/`ST_AsMVTGeom` (what geo's `/tiles/…` endpoint asks rest for).
 *
 * @see https://docs.postgrest.org/en/v14/how-tos/working-with-postgresql-data-types.html#postgis
 * @see https://www.rfc-editor.org/rfc/rfc7946#section-3.3
 * @see https://github.com/mapbox/vector-tile-spec/tree/master/2.1
 */

import { quoteIdent } from '@groundwork/core'
import type { Relation, RestMediaTypeExtension } from '@groundwork/rest'
import { RestError } from '@groundwork/rest'
import { WEB_MERCATOR } from '../geometry/types'
import type { SqlProvider } from './operators'

/** `application/geo+json`. */
export function geoJsonMediaType(sql: SqlProvider): RestMediaTypeExtension {
  return {
    type: 'application/geo+json',
    accept: () => 'application/geo+json; charset=utf-8',
    // ST_AsGeoJSON(row) looks for a column of type geometry/geography: keep the root's own types.
    rawColumns: true,
    body: ({ row }) => {
      const names = sql()
      return {
        body:
          `json_build_object('type', 'FeatureCollection', 'features', ` +
          `coalesce(json_agg(${names.name('st_asgeojson')}(${row})::json), '[]'))::text`,
      }
    },
  }
}

/** The media type of vector tiles. */
export const MVT_MEDIA_TYPE = 'application/vnd.mapbox-vector-tile'

/** Tile coordinates in the `tile=z/x/y` parameter. */
export interface TileCoordinates {
  z: number
  x: number
  y: number
}

/** The deepest zoom a tile may be asked for (PostGIS' `ST_TileEnvelope` takes up to 31). */
export const MAX_ZOOM = 24

/** Parses `z/x/y` with `x`, `y` inside the zoom's grid; `null` when it is not one. */
export function parseTile(text: string | undefined): TileCoordinates | null {
  const match = /^(\d{1,2})\/(\d{1,8})\/(\d{1,8})$/.exec(text ?? '')
  if (!match) return null
  const [z, x, y] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const size = 2 ** z
  if (z > MAX_ZOOM || x >= size || y >= size) return null
  return { z, x, y }
}

/** Settings of the MVT encoding (the tile endpoint's options). */
export interface MvtSettings {
  /** Tile extent in its own integer coordinates. */
  extent: number
  /** Pixels of buffer around the tile, in extent units. */
  buffer: number
}

/** The first geometry/geography column of the relation, for tiles drawn from it. */
export function firstSpatialColumn(relation: Relation | null): string | null {
  const column = relation?.columns.find((c) => c.udtName === 'geometry' || c.udtName === 'geography')
  return column?.name ?? null
}

/** A percent-encoded column name from a media type parameter (header values are Latin-1). */
function decodedName(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    throw new RestError('PGRST100', '"failed to parse geometry"', {
      details: 'not a percent-encoded column name',
    })
  }
}

/** `application/vnd.mapbox-vector-tile; tile=z/x/y[; geometry=col][; layer=name]`. */
export function mvtMediaType(sql: SqlProvider, settings: MvtSettings): RestMediaTypeExtension {
  return {
    type: MVT_MEDIA_TYPE,
    accept: (params, target) => (!target.rpc && parseTile(params.tile) ? MVT_MEDIA_TYPE : null),
    binary: true,
    rawColumns: true,
    body: ({ source, row, params, accept, relation }) => {
      const names = sql()
      const tile = parseTile(accept.tile) as TileCoordinates
      const column =
        accept.geometry !== undefined ? decodedName(accept.geometry) : firstSpatialColumn(relation)
      if (!column) {
        throw new RestError('22023', 'geometry column is missing', { status: 400 })
      }
      const layer = params.add(accept.layer ?? relation?.name ?? 'default', 'text')
      const envelope = `(SELECT ${names.name('st_tileenvelope')}(${params.add(tile.z, 'int4')}, ${params.add(tile.x, 'int4')}, ${params.add(tile.y, 'int4')}))`
      const geometry = `${names.name('st_transform')}(pgrst_mvt_row.${quoteIdent(column)}::${names.name('geometry')}, ${WEB_MERCATOR})`
      const wrapped =
        `SELECT ${names.name('st_asmvtgeom')}(${geometry}, ${envelope}, ${settings.extent}, ${settings.buffer}, true) AS pgrst_mvt_geom, ` +
        `pg_catalog.to_jsonb(pgrst_mvt_row) - ${params.add(column, 'text')} AS pgrst_mvt_attributes ` +
        // OFFSET 0 keeps this subquery from being flattened into the response query, where each
        // whole-row reference (`count(row)`, `ST_AsMVT(row)`) would evaluate ST_AsMVTGeom again.
        `FROM (${source}) AS pgrst_mvt_row OFFSET 0`
      return {
        source: wrapped,
        body: `coalesce(${names.name('st_asmvt')}(${row}, ${layer}, ${settings.extent}, 'pgrst_mvt_geom'), ''::bytea)`,
      }
    },
  }
}
