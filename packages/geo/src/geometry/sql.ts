import type { Column, SqlParameters } from '@groundwork/rest'
import type { PostgisSql } from '../postgis/state'
import type { GeometryArgument } from './types'
import { WGS84 } from './types'

/** A spatial column: its kind and declared SRID (`geometry(Point,4326)` → 4326; `null` if free). */
export interface SpatialColumn {
  kind: 'geometry' | 'geography'
  srid: number | null
}

/** The spatial kind and SRID of a column, from its catalog type, or `null` when not spatial. */
export function spatialColumn(info: Column | null): SpatialColumn | null {
  if (!info || (info.udtName !== 'geometry' && info.udtName !== 'geography')) return null
  const declared = /\(\s*[a-z0-9]+\s*,\s*(\d+)\s*\)$/i.exec(info.type)
  const srid = declared ? Number(declared[1]) : null
  // A geography without a typmod is WGS 84 (PostGIS' default for geography).
  return { kind: info.udtName, srid: info.udtName === 'geography' ? (srid ?? WGS84) : srid }
}

/**
 * The argument as a SQL constant of the column's kind and SRID: a GeoJSON parameter read by
 * `ST_GeomFromGeoJSON`, given its SRID, transformed to the column's declared SRID (so the
 * column's GiST index applies and SRIDs never mix), cast to `geography` for geography columns.
 */
export function argumentSql(
  sql: PostgisSql,
  params: SqlParameters,
  argument: GeometryArgument,
  column: SpatialColumn,
): string {
  let geometry = `${sql.name('st_geomfromgeojson')}(${params.add(JSON.stringify(argument.geometry), 'text')})`
  if (argument.srid !== WGS84) geometry = `${sql.name('st_setsrid')}(${geometry}, ${argument.srid})`
  return once(toColumn(sql, geometry, argument.srid, column))
}

/**
 * A constant expression evaluated once per statement: rest names its statements, and Postgres'
 * generic plan would otherwise evaluate a parameter-dependent `ST_GeomFromGeoJSON($1)` (or a
 * transform, or a tile envelope) again for every row. As an InitPlan it is computed once and
 * still serves as the GiST index's search key.
 */
export function once(expression: string): string {
  return `(SELECT ${expression})`
}

/** A geometry expression with SRID `srid` as the column's kind and SRID. */
export function toColumn(sql: PostgisSql, geometry: string, srid: number, column: SpatialColumn): string {
  const target = column.kind === 'geography' ? WGS84 : column.srid
  const transformed =
    target !== null && target !== srid ? `${sql.name('st_transform')}(${geometry}, ${target})` : geometry
  return column.kind === 'geography' ? `${transformed}::${sql.name('geography')}` : transformed
}

/** `ST_MakeEnvelope(minx, miny, maxx, maxy, 4326)` with the numbers as parameters. */
export function envelopeSql(sql: PostgisSql, params: SqlParameters, box: readonly number[]): string {
  const [minx, miny, maxx, maxy] = box.map((n) => params.add(String(n), 'float8'))
  return once(`${sql.name('st_makeenvelope')}(${minx}, ${miny}, ${maxx}, ${maxy}, ${WGS84})`)
}

/**
 * A WGS 84 box that holds every point within `meters` of `bbox` (longitude/latitude): the
 * index-usable prefilter of a `st_dwithin` on a geometry column. One degree of latitude is at
 * least 110,574 m and one of longitude at least 111,320·cos(φ) m on the WGS 84 ellipsoid; a box
 * near a pole or across the antimeridian takes all longitudes.
 */
export function expandedBox(bbox: readonly number[], meters: number): [number, number, number, number] {
  const [minx, miny, maxx, maxy] = bbox as [number, number, number, number]
  const dy = (meters / 110_000) * 1.01
  const south = Math.max(-90, miny - dy)
  const north = Math.min(90, maxy + dy)
  const extreme = Math.max(Math.abs(south), Math.abs(north))
  if (extreme >= 89.5) return [-180, south, 180, north]
  const dx = (meters / (111_320 * Math.cos((extreme * Math.PI) / 180))) * 1.01
  if (minx - dx < -180 || maxx + dx > 180) return [-180, south, 180, north]
  return [minx - dx, south, maxx + dx, north]
}
