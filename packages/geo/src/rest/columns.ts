/**
 * `geometry` and `geography` columns in JSON.
 *
 * Output: geometry already renders as a GeoJSON object through PostGIS' own `geometry → json`
 * cast (with a `crs` member outside 4326… and inside, as PostgREST shows it); geography has no
 * such cast and would come out as hex EWKB, so it is rendered with `ST_AsGeoJSON`.
 *
 * Input (POST/PATCH/PUT bodies, CSV, forms): a GeoJSON geometry object (RFC 7946: WGS 84), WKT
 * (`POINT(1 2)`, taken as WGS 84) or EWKT (`SRID=3857;POINT(…)`) — and hex EWKB, as PostGIS reads
 * it. The value is then transformed to the column's declared SRID (geography: 4326).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7946
 * @see https://postgis.net/docs/ST_AsGeoJSON.html
 */
import { type Column, type RestColumnType, RestError } from '@groundwork/rest'
import { parseGeometry } from '../geometry/parse'
import { spatialColumn } from '../geometry/sql'
import { WGS84 } from '../geometry/types'
import { GeometryError } from '../geometry/validate'
import type { SqlProvider } from './operators'

/** The geometry a JSON value (`json` SQL) holds, with SRID 4326 when it came without one. */
function parsedGeometry(sql: SqlProvider, value: string): string {
  const names = sql()
  const geometry = names.name('geometry')
  const parsed =
    `CASE pg_catalog.json_typeof(${value}) WHEN 'null' THEN NULL ` +
    `WHEN 'object' THEN ${names.name('st_geomfromgeojson')}((${value})::text) ` +
    `ELSE ((${value}) #>> '{}')::${geometry} END`
  return `(SELECT ${names.name('st_setsrid')}(pgrst_geo.g, COALESCE(NULLIF(${names.name('st_srid')}(pgrst_geo.g), 0), ${WGS84})) FROM (SELECT ${parsed} AS g) AS pgrst_geo)`
}

/** Hex (E)WKB, as PostGIS prints and reads geometries. */
const HEX_WKB = /^(?:[0-9a-fA-F]{2})+$/

/**
 * Checks a write value before SQL: a GeoJSON geometry object, WKT/EWKT (parsed as the filters
 * parse them) or hex EWKB; anything else is a 400 naming the column (22P02, as Postgres words a
 * bad input value) rather than PostGIS' error.
 */
function checkValue(value: unknown, info: Column): void {
  try {
    if (typeof value === 'string') {
      if (!HEX_WKB.test(value.trim())) parseGeometry(value)
      return
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      parseGeometry(JSON.stringify(value))
      return
    }
    throw new GeometryError('expecting a GeoJSON geometry object, WKT, EWKT or hex EWKB')
  } catch (error) {
    if (!(error instanceof GeometryError)) throw error
    throw new RestError('22P02', `invalid ${info.udtName} for column "${info.name}": ${error.message}`, {
      status: 400,
    })
  }
}

/** The column types geo contributes to rest. */
export function spatialColumnTypes(sql: SqlProvider): RestColumnType[] {
  return [
    {
      type: 'geometry',
      check: checkValue,
      input(value, info) {
        const column = spatialColumn(info)
        const geometry = parsedGeometry(sql, value)
        return column?.srid ? `${sql().name('st_transform')}(${geometry}, ${column.srid})` : geometry
      },
    },
    {
      type: 'geography',
      check: checkValue,
      render: (value) => `${sql().name('st_asgeojson')}(${value})::json`,
      input(value) {
        const names = sql()
        return `${names.name('st_transform')}(${parsedGeometry(sql, value)}, ${WGS84})::${names.name('geography')}`
      },
    },
  ]
}
