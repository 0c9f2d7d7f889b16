/**
 * Spatial filters in PostgREST's operator grammar (`col=op.value`, `col=op(arg).value`), usable
 * with `not.` and inside `or=(…)`/`and=(…)`:
 *
 * | operator | geometry column | geography column |
 * |---|---|---|
 * | `st_intersects.<geom>` | `ST_Intersects` | `ST_Intersects` |
 * | `st_within.<geom>` | `ST_Within` | `ST_CoveredBy` |
 * | `st_contains.<geom>` | `ST_Contains` | `ST_Covers` |
 * | `st_covers.<geom>` | `ST_Covers` | `ST_Covers` |
 * | `st_dwithin(<m>).<geom>` | meters via geography for SRID 4326 (with a `&&` box for the index), else column units | `ST_DWithin` (meters) |
 * | `st_bbox.<minx>,<miny>,<maxx>,<maxy>` | `&&` envelope (WGS 84) | `&&` envelope |
 *
 * `<geom>` is WKT, EWKT (SRID 4326 when none is given) or a URL-encoded GeoJSON geometry. The
 * argument is turned into the column's SRID once, so the column's GiST index serves the test.
 *
 * @see https://postgis.net/docs/reference.html#Spatial_Relationships
 */
import type { RestOperatorExtension } from '@groundwork/rest'
import { geometryParseError, notSpatial } from '../errors'
import { parseBbox, parseGeometry, parseMeters } from '../geometry/parse'
import {
  argumentSql,
  envelopeSql,
  expandedBox,
  once,
  type SpatialColumn,
  spatialColumn,
  toColumn,
} from '../geometry/sql'
import type { GeometryArgument } from '../geometry/types'
import { WGS84 } from '../geometry/types'
import type { PostgisSql } from '../postgis/state'

/** Gives the SQL namer, or throws the "PostGIS missing" error. */
export type SqlProvider = () => PostgisSql

function geometryArgument(op: string, value: string): GeometryArgument {
  try {
    return parseGeometry(value)
  } catch (error) {
    throw geometryParseError(`filter (${op}.${value.length > 60 ? `${value.slice(0, 60)}…` : value})`, error)
  }
}

function spatial(op: string, info: Parameters<RestOperatorExtension['sql']>[0]['info']): SpatialColumn {
  const column = spatialColumn(info)
  if (!column) throw notSpatial(op, info?.name ?? null)
  return column
}

/** A binary predicate `fn(column, argument)`, with the geography variant named. */
function predicate(
  name: string,
  functions: { geometry: string; geography: string },
  sql: SqlProvider,
): RestOperatorExtension<GeometryArgument> {
  return {
    name,
    parse: (value, modifier) => {
      if (modifier !== null) throw geometryParseError(`filter (${name}(${modifier}))`, new Error())
      return geometryArgument(name, value)
    },
    sql: ({ column, info, argument, params }) => {
      // Without PostGIS, say so before judging the column (its types come from PostGIS).
      const names = sql()
      const target = spatial(name, info)
      return `${names.name(functions[target.kind])}(${column}, ${argumentSql(names, params, argument, target)})`
    },
  }
}

interface Dwithin {
  meters: number
  geometry: GeometryArgument
}

function dwithin(sql: SqlProvider): RestOperatorExtension<Dwithin> {
  return {
    name: 'st_dwithin',
    parse: (value, modifier) => {
      let meters: number
      try {
        meters = parseMeters(modifier)
      } catch (error) {
        throw geometryParseError(`filter (st_dwithin(${modifier ?? ''}))`, error)
      }
      return { meters, geometry: geometryArgument('st_dwithin', value) }
    },
    sql: ({ column, info, argument, params }) => {
      // Without PostGIS, say so before judging the column (its types come from PostGIS).
      const names = sql()
      const target = spatial('st_dwithin', info)
      const meters = params.add(String(argument.meters), 'float8')
      const fn = names.name('st_dwithin')
      if (target.kind === 'geography') {
        return `${fn}(${column}, ${argumentSql(names, params, argument.geometry, target)}, ${meters})`
      }
      if (target.srid !== null && target.srid !== WGS84) {
        // A projected SRID: the distance is in the column's own units (meters for most).
        return `${fn}(${column}, ${argumentSql(names, params, argument.geometry, target)}, ${meters})`
      }
      // Longitude/latitude: meters through geography, with a `&&` box the GiST index can use.
      const geography: SpatialColumn = { kind: 'geography', srid: WGS84 }
      const exact = `${fn}(${column}::${names.name('geography')}, ${argumentSql(names, params, argument.geometry, geography)}, ${meters})`
      if (argument.geometry.srid !== WGS84) return exact
      const box = envelopeSql(names, params, expandedBox(argument.geometry.bbox, argument.meters))
      return `(${column} ${names.operator('&&')} ${box} AND ${exact})`
    },
  }
}

function bbox(sql: SqlProvider): RestOperatorExtension<[number, number, number, number]> {
  return {
    name: 'st_bbox',
    parse: (value, modifier) => {
      try {
        if (modifier !== null) throw new Error()
        return parseBbox(value)
      } catch (error) {
        throw geometryParseError(`filter (st_bbox.${value})`, error)
      }
    },
    sql: ({ column, info, argument, params }) => {
      // Without PostGIS, say so before judging the column (its types come from PostGIS).
      const names = sql()
      const target = spatial('st_bbox', info)
      const box = once(toColumn(names, envelopeSql(names, params, argument), WGS84, target))
      return `${column} ${names.operator('&&')} ${box}`
    },
  }
}

/** The spatial filter operators, emitting SQL through `sql()` (which knows PostGIS' schema). */
export function spatialOperators(sql: SqlProvider): RestOperatorExtension[] {
  return [
    predicate('st_intersects', { geometry: 'st_intersects', geography: 'st_intersects' }, sql),
    predicate('st_within', { geometry: 'st_within', geography: 'st_coveredby' }, sql),
    predicate('st_contains', { geometry: 'st_contains', geography: 'st_covers' }, sql),
    predicate('st_covers', { geometry: 'st_covers', geography: 'st_covers' }, sql),
    dwithin(sql),
    bbox(sql),
  ] as RestOperatorExtension[]
}
