import type { RestExtension } from '@groundwork/rest'
import { postgisInputError, postgisMissing } from '../errors'
import { PostgisSql, type PostgisState } from '../postgis/state'
import { spatialColumnTypes } from './columns'
import { geoJsonMediaType, type MvtSettings, mvtMediaType } from './media-types'
import { spatialOperators } from './operators'
import { nearestOrder } from './order'

/**
 * What geo contributes to rest: the `st_*` filter operators, `order=col.nearest(…)`, the
 * `application/geo+json` and vector-tile media types, and geometry/geography in JSON. PostGIS is
 * detected before each request is parsed (once, cached); without it, using any of these answers
 * 501 naming the missing extension, and everything else in rest works as before.
 */
export function geoRestExtension(state: PostgisState, settings: MvtSettings): RestExtension {
  let names: PostgisSql | null = null
  let schema: string | null = null
  const sql = (): PostgisSql => {
    const status = state.current
    if (!status?.installed || !status.schema) throw postgisMissing()
    if (!names || schema !== status.schema) {
      names = new PostgisSql(status.schema)
      schema = status.schema
    }
    return names
  }
  return {
    name: 'geo',
    operators: spatialOperators(sql),
    orders: [nearestOrder(sql)],
    mediaTypes: [geoJsonMediaType(sql), mvtMediaType(sql, settings)],
    columnTypes: spatialColumnTypes(sql),
    async prepare() {
      await state.detect()
    },
    mapError: postgisInputError,
  }
}
