/**
 * Well-known text (OGC 06-103r4 §7) and PostGIS' extended form (`SRID=4326;POINT(1 2)`) into a
 * GeoJSON geometry object. Z and M dimensions are read (`POINT Z (1 2 3)`, `POINT ZM (…)`); M is
 * dropped, as RFC 7946 has no place for it. `EMPTY` geometries are refused: they match nothing.
 *
 * @see https://portal.ogc.org/files/?artifact_id=25355
 * @see https://postgis.net/docs/using_postgis_dbmanagement.html#EWKB_EWKT
 */
import { GeometryError } from './validate'

type Raw = { type: string; coordinates?: unknown; geometries?: unknown }

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/
const WORD = /^[A-Za-z]+/

class Cursor {
  pos = 0
  constructor(readonly text: string) {}
  skip(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] as string)) this.pos++
  }
  eat(c: string): boolean {
    this.skip()
    if (this.text[this.pos] === c) {
      this.pos++
      return true
    }
    return false
  }
  expect(c: string): void {
    if (!this.eat(c)) throw new GeometryError(`WKT: expecting "${c}" at position ${this.pos + 1}`)
  }
  word(): string {
    this.skip()
    const match = WORD.exec(this.text.slice(this.pos))
    if (!match) return ''
    this.pos += match[0].length
    return match[0].toUpperCase()
  }
  number(): number {
    this.skip()
    const match = NUMBER.exec(this.text.slice(this.pos))
    if (!match) throw new GeometryError(`WKT: expecting a number at position ${this.pos + 1}`)
    this.pos += match[0].length
    return Number(match[0])
  }
  peekNumber(): boolean {
    this.skip()
    return NUMBER.test(this.text.slice(this.pos))
  }
}

/** `Z`, `M` or `ZM` after the type: how many numbers a position has. */
function dimensions(cursor: Cursor): { size: number; hasZ: boolean } {
  const save = cursor.pos
  const word = cursor.word()
  if (word === 'Z') return { size: 3, hasZ: true }
  if (word === 'M') return { size: 3, hasZ: false }
  if (word === 'ZM') return { size: 4, hasZ: true }
  cursor.pos = save
  return { size: 0, hasZ: true }
}

function position(cursor: Cursor, dims: { size: number; hasZ: boolean }): number[] {
  const values = [cursor.number(), cursor.number()]
  while (cursor.peekNumber() && values.length < 4) values.push(cursor.number())
  if (dims.size > 0 && values.length !== dims.size) {
    throw new GeometryError(`WKT: expecting ${dims.size} coordinates per position`)
  }
  // XYM has no Z: keep X and Y only; XYZM keeps Z.
  if (!dims.hasZ) return values.slice(0, 2)
  return values.slice(0, 3)
}

function positions(cursor: Cursor, dims: { size: number; hasZ: boolean }): number[][] {
  cursor.expect('(')
  const out = [position(cursor, dims)]
  while (cursor.eat(',')) out.push(position(cursor, dims))
  cursor.expect(')')
  return out
}

function nested<T>(cursor: Cursor, item: () => T): T[] {
  cursor.expect('(')
  const out = [item()]
  while (cursor.eat(',')) out.push(item())
  cursor.expect(')')
  return out
}

function tagged(cursor: Cursor, depth: number): Raw {
  const type = cursor.word()
  const dims = dimensions(cursor)
  const save = cursor.pos
  if (cursor.word() === 'EMPTY') throw new GeometryError('WKT: EMPTY geometries are not accepted')
  cursor.pos = save
  switch (type) {
    case 'POINT': {
      cursor.expect('(')
      const coordinates = position(cursor, dims)
      cursor.expect(')')
      return { type: 'Point', coordinates }
    }
    case 'LINESTRING':
      return { type: 'LineString', coordinates: positions(cursor, dims) }
    case 'POLYGON':
      return { type: 'Polygon', coordinates: nested(cursor, () => positions(cursor, dims)) }
    case 'MULTIPOINT':
      // Both `MULTIPOINT(1 2, 3 4)` and `MULTIPOINT((1 2), (3 4))`.
      return {
        type: 'MultiPoint',
        coordinates: nested(cursor, () => {
          if (!cursor.eat('(')) return position(cursor, dims)
          const p = position(cursor, dims)
          cursor.expect(')')
          return p
        }),
      }
    case 'MULTILINESTRING':
      return { type: 'MultiLineString', coordinates: nested(cursor, () => positions(cursor, dims)) }
    case 'MULTIPOLYGON':
      return {
        type: 'MultiPolygon',
        coordinates: nested(cursor, () => nested(cursor, () => positions(cursor, dims))),
      }
    case 'GEOMETRYCOLLECTION':
      if (depth >= 4) throw new GeometryError('WKT: GEOMETRYCOLLECTIONs are nested too deeply')
      return { type: 'GeometryCollection', geometries: nested(cursor, () => tagged(cursor, depth + 1)) }
    default:
      throw new GeometryError(
        type === ''
          ? 'WKT: expecting a geometry type'
          : `WKT: unknown geometry type "${type}" (expecting POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON or GEOMETRYCOLLECTION)`,
      )
  }
}

/** Parses WKT or EWKT; returns the GeoJSON-shaped geometry (unchecked) and the EWKT SRID, if any. */
export function parseWkt(text: string): { geometry: unknown; srid: number | null } {
  let body = text
  let srid: number | null = null
  const ewkt = /^\s*SRID=(\d{1,6});/i.exec(text)
  if (ewkt) {
    srid = Number(ewkt[1])
    body = text.slice(ewkt[0].length)
  }
  const cursor = new Cursor(body)
  const geometry = tagged(cursor, 0)
  cursor.skip()
  if (cursor.pos !== body.length) {
    throw new GeometryError(
      `WKT: unexpected "${body.slice(cursor.pos, cursor.pos + 20)}" at position ${cursor.pos + 1}`,
    )
  }
  return { geometry, srid }
}
