/**
 * `@groundwork/geo`: PostGIS through Groundwork's REST API — GeoJSON out, spatial filters in,
 * nearest-first ordering and Mapbox Vector Tiles, under the same RLS.
 *
 * @see https://postgis.net/docs/
 * @see https://www.rfc-editor.org/rfc/rfc7946
 */
export type { Geo, GeoApi } from './create-geo'
export { createGeo } from './create-geo'
export { POSTGIS_HELP } from './errors'
export { parseGeometry } from './geometry/parse'
export type { Geometry, GeometryArgument, Position } from './geometry/types'
export { GeometryError } from './geometry/validate'
export type { GeoOptions, ResolvedGeoOptions } from './options'
export type { PostgisStatus } from './postgis/state'
export { MVT_MEDIA_TYPE } from './rest/media-types'
export type { TileRequest, TileResult } from './tiles/tile'
