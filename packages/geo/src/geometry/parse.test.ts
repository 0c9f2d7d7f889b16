import { describe, expect, it } from 'vitest'
import { parseBbox, parseGeometry, parseMeters } from './parse'
import { expandedBox } from './sql'

describe('parseGeometry', () => {
  it('reads WKT as WGS 84 GeoJSON with its bounding box', () => {
    expect(parseGeometry('POINT(-71.1 42.37)')).toEqual({
      geometry: { type: 'Point', coordinates: [-71.1, 42.37] },
      srid: 4326,
      bbox: [-71.1, 42.37, -71.1, 42.37],
    })
    expect(parseGeometry('polygon ((0 0, 2 0, 2 1, 0 0))').bbox).toEqual([0, 0, 2, 1])
  })

  it('reads every WKT type, Z and ZM, and both MULTIPOINT forms', () => {
    expect(parseGeometry('LINESTRING(0 0,1 1)').geometry.type).toBe('LineString')
    expect(parseGeometry('MULTIPOINT(0 0,1 1)').geometry).toEqual(
      parseGeometry('MULTIPOINT((0 0),(1 1))').geometry,
    )
    expect(parseGeometry('MULTILINESTRING((0 0,1 1),(2 2,3 3))').geometry.type).toBe('MultiLineString')
    expect(parseGeometry('MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))').bbox).toEqual([0, 0, 6, 6])
    expect(parseGeometry('GEOMETRYCOLLECTION(POINT(1 2),LINESTRING(0 0,1 1))').geometry.type).toBe(
      'GeometryCollection',
    )
    expect(parseGeometry('POINT Z (1 2 3)').geometry).toEqual({ type: 'Point', coordinates: [1, 2, 3] })
    // M is not GeoJSON: dropped.
    expect(parseGeometry('POINT ZM (1 2 3 4)').geometry).toEqual({ type: 'Point', coordinates: [1, 2, 3] })
    expect(parseGeometry('POINT M (1 2 4)').geometry).toEqual({ type: 'Point', coordinates: [1, 2] })
  })

  it('reads EWKT SRIDs and skips the range check outside 4326', () => {
    expect(parseGeometry('SRID=3857;POINT(-7914000 5214000)').srid).toBe(3857)
    expect(() => parseGeometry('SRID=4326;POINT(-7914000 5214000)')).toThrow(/out of range/)
  })

  it('reads GeoJSON geometry objects', () => {
    const polygon = {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 0],
        ],
      ],
    }
    expect(parseGeometry(JSON.stringify(polygon)).geometry).toEqual(polygon)
  })

  it.each([
    ['POINT(1', /expecting/],
    ['POINT(1 2) x', /unexpected/],
    ['CIRCLE(1 2)', /unknown geometry type/],
    ['POINT EMPTY', /EMPTY/],
    ['LINESTRING(0 0)', /at least 2/],
    ['POLYGON((0 0,1 0,1 1))', /at least 4/],
    ['POLYGON((0 0,1 0,1 1,2 2))', /closed/],
    ['POINT(181 0)', /out of range/],
    ['POINT Z (1 2)', /3 coordinates/],
    ['SRID=0;POINT(1 2)', /SRID 0/],
    ['{"type":"Point","coordinates":[1]}', /2 to 4 numbers/],
    ['{"type":"Point","coordinates":[1,"2"]}', /finite/],
    ['{"type":"Feature"}', /unknown GeoJSON/],
    ['{"type":"Point"', /not JSON/],
    ['', /geometry type/],
  ])('refuses %s', (text, message) => {
    expect(() => parseGeometry(text)).toThrow(message)
  })

  it('bounds the size of an argument', () => {
    const many = Array.from({ length: 10_001 }, (_, i) => `${i % 100} 0`).join(',')
    expect(() => parseGeometry(`LINESTRING(${many})`)).toThrow(/positions/)
    expect(() => parseGeometry(`POINT(1 2)${' '.repeat(70_000)}`)).toThrow(/longer than/)
    const deep = 'GEOMETRYCOLLECTION('.repeat(6) + 'POINT(1 2)' + ')'.repeat(6)
    expect(() => parseGeometry(deep)).toThrow(/nested/)
  })
})

describe('parseBbox and parseMeters', () => {
  it('reads four ordered numbers in range', () => {
    expect(parseBbox('-71.13,42.36,-71.07,42.38')).toEqual([-71.13, 42.36, -71.07, 42.38])
    expect(() => parseBbox('1,2,3')).toThrow()
    expect(() => parseBbox('3,2,1,4')).toThrow(/exceed/)
    expect(() => parseBbox('0,0,0,91')).toThrow(/range/)
  })
  it('reads a non-negative distance', () => {
    expect(parseMeters('1500.5')).toBe(1500.5)
    expect(() => parseMeters(null)).toThrow(/meters/)
    expect(() => parseMeters('-1')).toThrow()
    expect(() => parseMeters('1e12')).toThrow(/range/)
  })
})

describe('expandedBox (the index prefilter of st_dwithin on 4326)', () => {
  it('holds every point within the distance', () => {
    const [minx, miny, maxx, maxy] = expandedBox([-71.1, 42.37, -71.1, 42.37], 2000)
    // 2 km is ~0.018° of latitude and ~0.0243° of longitude at 42°N.
    expect(miny).toBeLessThan(42.37 - 0.018)
    expect(maxy).toBeGreaterThan(42.37 + 0.018)
    expect(minx).toBeLessThan(-71.1 - 0.0243)
    expect(maxx).toBeGreaterThan(-71.1 + 0.0243)
  })
  it('takes all longitudes across the antimeridian and near the poles', () => {
    expect(expandedBox([179.99, 0, 179.99, 0], 5000)[0]).toBe(-180)
    expect(expandedBox([10, 89.9, 10, 89.9], 100)).toEqual([
      -180,
      expect.any(Number),
      180,
      expect.any(Number),
    ])
  })
})
