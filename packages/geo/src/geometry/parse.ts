import type { GeometryArgument } from './types'
import { WGS84 } from './types'
import { checkGeometry, GeometryError } from './validate'
import { parseWkt } from './wkt'

/** Longest geometry text accepted from a query string (a URL is not an upload). */
export const MAX_GEOMETRY_TEXT = 64 * 1024

/**
 * A geometry given in a query string: WKT, EWKT (`SRID=3857;POINT(…)`) or a GeoJSON geometry
 * object (already URL-decoded). Without an SRID it is WGS 84 (4326), as GeoJSON always is.
 * Throws a {@link GeometryError} saying what is wrong.
 */
export function parseGeometry(text: string): GeometryArgument {
  if (text.length > MAX_GEOMETRY_TEXT) throw new GeometryError(`longer than ${MAX_GEOMETRY_TEXT} characters`)
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    let value: unknown
    try {
      value = JSON.parse(trimmed)
    } catch {
      throw new GeometryError('invalid GeoJSON (not JSON)')
    }
    return checkGeometry(value, WGS84)
  }
  const { geometry, srid } = parseWkt(trimmed)
  if (srid !== null && (srid < 1 || srid > 998_999)) throw new GeometryError(`SRID ${srid} is out of range`)
  return checkGeometry(geometry, srid ?? WGS84)
}

/** `minx,miny,maxx,maxy` (`st_bbox`), in WGS 84. */
export function parseBbox(text: string): [number, number, number, number] {
  const parts = text.split(',').map((p) => p.trim())
  if (parts.length !== 4 || parts.some((p) => !/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(p))) {
    throw new GeometryError('expecting four numbers: minx,miny,maxx,maxy')
  }
  const [minx, miny, maxx, maxy] = parts.map(Number) as [number, number, number, number]
  if (minx > maxx || miny > maxy) throw new GeometryError('minx must not exceed maxx, nor miny maxy')
  if (Math.abs(minx) > 180 || Math.abs(maxx) > 180 || Math.abs(miny) > 90 || Math.abs(maxy) > 90) {
    throw new GeometryError('longitude/latitude out of range (-180..180, -90..90)')
  }
  return [minx, miny, maxx, maxy]
}

/** A distance in meters (`st_dwithin(<meters>)`): a finite, non-negative number. */
export function parseMeters(text: string | null): number {
  if (text === null || !/^\s*(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/.test(text)) {
    throw new GeometryError('expecting a distance in meters in parentheses, e.g. st_dwithin(500)')
  }
  const meters = Number(text)
  if (!Number.isFinite(meters) || meters > 40_075_017) throw new GeometryError('distance out of range')
  return meters
}
