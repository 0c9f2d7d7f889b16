/**
 * The WGS 84 bounds of a Web Mercator tile (the XYZ / "slippy map" scheme), widened by the
 * tile's buffer: tile edges are lines of constant longitude and latitude, so this box is the exact
 * `&&` prefilter of the rows a tile can draw, usable by a GiST index on a 4326 column.
 *
 * @see https://wiki.openstreetmap.org/wiki/Slippy_map_tilenames
 */
import type { TileCoordinates } from '../rest/media-types'

const MAX_LATITUDE = 85.0511287798066

function longitude(x: number, z: number): number {
  return (x / 2 ** z) * 360 - 180
}

function latitude(y: number, z: number): number {
  const n = Math.PI - (2 * Math.PI * y) / 2 ** z
  return (180 / Math.PI) * Math.atan(Math.sinh(n))
}

/** `[west, south, east, north]` of the tile plus `buffer/extent` of its size on each side. */
export function tileBounds(
  tile: TileCoordinates,
  buffer: number,
  extent: number,
): [number, number, number, number] {
  const margin = buffer / extent
  const { z, x, y } = tile
  const west = longitude(x - margin, z)
  const east = longitude(x + 1 + margin, z)
  const north = y - margin <= 0 ? 90 : latitude(y - margin, z)
  const south = y + 1 + margin >= 2 ** z ? -90 : latitude(y + 1 + margin, z)
  return [
    Math.max(-180, west),
    Math.max(-90, Math.min(south, MAX_LATITUDE)),
    Math.min(180, east),
    Math.min(90, Math.max(north, -MAX_LATITUDE)),
  ]
}
