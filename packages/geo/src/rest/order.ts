/**
 * Nearest-first ordering: `order=<col>.nearest(<point>)`, where `<point>` is `lon,lat`, or any
 * geometry as in the filters (WKT, EWKT, GeoJSON; double-quote it if it holds `"`). Followed, like
 * any term, by `.asc`/`.desc` and `.nullsfirst`/`.nullslast`, and by other terms (`,id`).
 *
 * It orders by PostGIS' `<->` distance operator, which a GiST index answers nearest-first
 * (K-nearest-neighbour) when the query has a `limit`: the spheroid distance for geography, the
 * distance in the column's SRID for geometry (degrees for 4326: nearest-first is then exact along a
 * meridian and approximate elsewhere — use a geography column where that matters).
 *
 * @see https://postgis.net/docs/geometry_distance_knn.html
 */
import type { RestOrderExtension } from '@groundwork/rest'
import { geometryParseError, notSpatial } from '../errors'
import { parseGeometry } from '../geometry/parse'
import { argumentSql, spatialColumn } from '../geometry/sql'
import type { GeometryArgument } from '../geometry/types'
import { WGS84 } from '../geometry/types'
import type { SqlProvider } from './operators'

const LON_LAT = /^\s*([-+]?(?:\d+\.?\d*|\.\d+))\s*,\s*([-+]?(?:\d+\.?\d*|\.\d+))\s*$/

/** The `nearest(…)` order term. */
export function nearestOrder(sql: SqlProvider): RestOrderExtension<GeometryArgument> {
  return {
    name: 'nearest',
    parse(text) {
      const unquoted =
        text.length > 1 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text
      const lonLat = LON_LAT.exec(unquoted)
      try {
        return parseGeometry(lonLat ? `POINT(${lonLat[1]} ${lonLat[2]})` : unquoted)
      } catch (error) {
        throw geometryParseError(
          `order (nearest(${text.length > 60 ? `${text.slice(0, 60)}…` : text}))`,
          error,
        )
      }
    },
    sql({ column, info, argument, params }) {
      // Without PostGIS, say so before judging the column (its types come from PostGIS).
      const names = sql()
      const target = spatialColumn(info)
      if (!target) throw notSpatial('nearest', info?.name ?? null)
      // Undeclared geometry columns are taken to be WGS 84, like arguments without an SRID.
      const as = target.kind === 'geometry' && target.srid === null ? { ...target, srid: WGS84 } : target
      return `${column} ${names.operator('<->')} ${argumentSql(names, params, argument, as)}`
    },
  }
}
