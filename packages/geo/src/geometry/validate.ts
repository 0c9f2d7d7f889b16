import type { Geometry, GeometryArgument, Position } from './types'
import { WGS84 } from './types'

/** Most positions one geometry argument may hold (a query string is not a data upload). */
export const MAX_POSITIONS = 10_000

/** Deepest `GeometryCollection` nesting accepted. */
const MAX_DEPTH = 4

/** Thrown for a geometry that is malformed; the message says what is wrong. */
export class GeometryError extends Error {
  override readonly name = 'GeometryError'
}

interface Walk {
  positions: number
  bbox: [number, number, number, number]
  srid: number
}

function position(value: unknown, walk: Walk): Position {
  if (!Array.isArray(value) || value.length < 2 || value.length > 4) {
    throw new GeometryError('a position must be an array of 2 to 4 numbers')
  }
  for (const n of value) {
    if (typeof n !== 'number' || !Number.isFinite(n))
      throw new GeometryError('coordinates must be finite numbers')
  }
  const [x, y] = value as [number, number]
  if (walk.srid === WGS84 && (Math.abs(x) > 180 || Math.abs(y) > 90)) {
    throw new GeometryError(`longitude/latitude out of range: ${x} ${y} (SRID 4326 needs -180..180, -90..90)`)
  }
  if (++walk.positions > MAX_POSITIONS) throw new GeometryError(`more than ${MAX_POSITIONS} positions`)
  const b = walk.bbox
  if (x < b[0]) b[0] = x
  if (y < b[1]) b[1] = y
  if (x > b[2]) b[2] = x
  if (y > b[3]) b[3] = y
  // RFC 7946 §3.1.1: positions beyond the elevation are not interoperable; M values are dropped.
  return (value as number[]).slice(0, 3)
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new GeometryError(`${what} must be a non-empty array`)
  return value
}

function line(value: unknown, walk: Walk): Position[] {
  const points = list(value, 'a LineString').map((p) => position(p, walk))
  if (points.length < 2) throw new GeometryError('a LineString needs at least 2 positions')
  return points
}

function ring(value: unknown, walk: Walk): Position[] {
  const points = list(value, 'a linear ring').map((p) => position(p, walk))
  if (points.length < 4) throw new GeometryError('a linear ring needs at least 4 positions')
  const first = points[0] as Position
  const last = points[points.length - 1] as Position
  if (first[0] !== last[0] || first[1] !== last[1]) {
    throw new GeometryError('a linear ring must be closed (its first and last positions equal)')
  }
  return points
}

function polygon(value: unknown, walk: Walk): Position[][] {
  return list(value, 'a Polygon').map((r) => ring(r, walk))
}

function geometry(value: unknown, walk: Walk, depth: number): Geometry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GeometryError('a GeoJSON geometry must be an object')
  }
  const object = value as { type?: unknown; coordinates?: unknown; geometries?: unknown }
  switch (object.type) {
    case 'Point':
      return { type: 'Point', coordinates: position(object.coordinates, walk) }
    case 'MultiPoint':
      return {
        type: 'MultiPoint',
        coordinates: list(object.coordinates, 'a MultiPoint').map((p) => position(p, walk)),
      }
    case 'LineString':
      return { type: 'LineString', coordinates: line(object.coordinates, walk) }
    case 'MultiLineString':
      return {
        type: 'MultiLineString',
        coordinates: list(object.coordinates, 'a MultiLineString').map((l) => line(l, walk)),
      }
    case 'Polygon':
      return { type: 'Polygon', coordinates: polygon(object.coordinates, walk) }
    case 'MultiPolygon':
      return {
        type: 'MultiPolygon',
        coordinates: list(object.coordinates, 'a MultiPolygon').map((p) => polygon(p, walk)),
      }
    case 'GeometryCollection':
      if (depth >= MAX_DEPTH) throw new GeometryError('GeometryCollections are nested too deeply')
      return {
        type: 'GeometryCollection',
        geometries: list(object.geometries, 'a GeometryCollection').map((g) => geometry(g, walk, depth + 1)),
      }
    default:
      throw new GeometryError(
        'unknown GeoJSON geometry type (expecting Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon or GeometryCollection)',
      )
  }
}

/**
 * Checks a GeoJSON geometry (RFC 7946 §3.1) as PostGIS will need it — rings closed with 4+
 * positions, lines with 2+, finite coordinates, longitude/latitude in range for SRID 4326 — and
 * returns it normalised, with its bounding box.
 */
export function checkGeometry(value: unknown, srid: number): GeometryArgument {
  const walk: Walk = { positions: 0, bbox: [Infinity, Infinity, -Infinity, -Infinity], srid }
  const checked = geometry(value, walk, 0)
  return { geometry: checked, srid, bbox: walk.bbox }
}
