/**
 * Input fuzz (the shared driver) over geometry values, spatial operators, nearest-first orders,
 * writes of geometries and tile paths: whatever comes in, never a 5xx, and every error is
 * PostgREST-shaped JSON. Reproduce with `FUZZ_SEED=<printed seed>`; `FUZZ_RUNS` changes the count.
 */
import { ERROR_SHAPES, type FuzzCase, HOSTILE, type Rng, requestHandler, runFuzz } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GeoHarness, startGeo } from './support/server'

let h: GeoHarness
beforeAll(async () => {
  h = await startGeo({ txEnd: 'rollback' })
})
afterAll(async () => {
  await h?.close()
})

const COLUMNS = ['geom', 'geog', 'name', 'id', 'area', 'area_geog', 'nope', '"geom"']
const TABLES = ['places', 'zones', 'shops', 'shop_bles', 'mercator_points', 'projects', 'nope']
const OPERATORS = [
  'st_intersects',
  'st_within',
  'st_contains',
  'st_covers',
  'st_dwithin',
  'st_bbox',
  'st_nope',
]
const TYPES = [
  'POINT',
  'LINESTRING',
  'POLYGON',
  'MULTIPOINT',
  'MULTILINESTRING',
  'MULTIPOLYGON',
  'GEOMETRYCOLLECTION',
  'CIRCLE',
  'POINT Z',
  'POINT ZM',
  'POINT M',
]

function num(r: Rng): string {
  return r.pick([
    '0',
    '1',
    '-1',
    '180',
    '-180.0001',
    '90',
    '91',
    '1e308',
    '-1e-9',
    'NaN',
    'Infinity',
    '.5',
    '1.',
    String(r.next() * 360 - 180),
    String(r.next() * 180 - 90),
    '',
  ])
}

function coords(r: Rng, n: number): string {
  return Array.from({ length: n }, () =>
    Array.from({ length: r.pick([1, 2, 2, 2, 3, 4, 5]) }, () => num(r)).join(' '),
  ).join(',')
}

function wkt(r: Rng, depth = 0): string {
  const type = r.pick(TYPES)
  const srid = r.chance(0.2) ? `SRID=${r.pick(['4326', '3857', '0', '999', '9999999', '-1', 'x'])};` : ''
  const ring = () => `(${coords(r, r.int(6))})`
  let body: string
  switch (type) {
    case 'POLYGON':
      body = `(${Array.from({ length: r.int(3) + 1 }, ring).join(',')})`
      break
    case 'MULTIPOLYGON':
      body = `((${ring()}),(${ring()}))`
      break
    case 'GEOMETRYCOLLECTION':
      body = depth > 2 ? '(POINT(1 2))' : `(${wkt(r, depth + 1)},${wkt(r, depth + 1)})`
      break
    default:
      body = r.chance(0.1) ? ' EMPTY' : `(${coords(r, r.int(5))})`
  }
  const text = `${srid}${type}${body}`
  return r.chance(0.15) ? text.slice(0, r.int(text.length)) : text
}

function geojson(r: Rng): string {
  const position = () =>
    Array.from({ length: r.pick([0, 1, 2, 3, 5]) }, () => r.pick([0, 1, -200, 45.5, 1e308, null, 'x']))
  const value = r.pick([
    { type: 'Point', coordinates: position() },
    { type: 'LineString', coordinates: [position(), position()] },
    { type: 'Polygon', coordinates: [[position(), position(), position(), position()]] },
    {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 0],
        ],
      ],
    },
    { type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [1, 2] }] },
    { type: 'Feature', geometry: null },
    { type: r.pick(['Point', 'Nope', 42, null]) },
    [1, 2],
    'POINT(1 2)',
  ])
  const text = JSON.stringify(value)
  return r.chance(0.1) ? text.slice(0, r.int(text.length)) : text
}

function geometryValue(r: Rng): string {
  return r.pick([
    wkt(r),
    wkt(r),
    geojson(r),
    r.pick(HOSTILE.strings),
    `${num(r)},${num(r)},${num(r)},${num(r)}`,
  ])
}

function filter(r: Rng): string {
  const op = r.pick(OPERATORS)
  const modifier =
    op === 'st_dwithin' || r.chance(0.1) ? `(${r.pick(['1000', '0', '-5', 'abc', '1e9', '', '1)'])})` : ''
  const not = r.chance(0.2) ? 'not.' : ''
  return `${not}${op}${modifier}.${geometryValue(r)}`
}

function makeCase(r: Rng): FuzzCase {
  const kind = r.int(10)
  if (kind < 2) {
    const z = r.pick(['0', '1', '11', '12', '24', '25', '99', '-1', 'x'])
    const x = r.pick(['0', '1', '619', '1239', '4095', '4096', '99999999'])
    const y = r.pick(['0', '1', '757', '1516', '4096'])
    const layer = r.pick([
      'public.places',
      'places',
      'public.zones',
      'public.projects',
      'private.places',
      'a.b.c',
      '%00',
      '%2e%2e',
      '..',
    ])
    const query = r.chance(0.5)
      ? `?${r.pick(['columns', 'geometry', 'geom', 'limit', 'select', 'order'])}=${encodeURIComponent(r.chance(0.5) ? r.pick(COLUMNS) : filter(r))}`
      : ''
    return {
      method: r.pick(['GET', 'GET', 'HEAD', 'POST']),
      path: `/geo/v1/tiles/${layer}/${z}/${x}/${y}.${r.pick(['mvt', 'mvt', 'pbf'])}${query}`,
    }
  }
  const table = r.pick(TABLES)
  if (kind < 4) {
    const body = JSON.stringify({
      id: r.int(1000) + 100,
      name: 'f',
      [r.pick(COLUMNS)]: r.chance(0.5)
        ? geometryValue(r)
        : JSON.parse(r.chance(0.5) ? '{"type":"Point","coordinates":[1,2]}' : 'null'),
    })
    return {
      method: r.pick(['POST', 'PATCH']),
      path: `/rest/v1/${table}?id=eq.1`,
      headers: {
        'content-type': 'application/json',
        prefer: 'return=representation',
        accept: r.pick(['application/json', 'application/geo+json']),
      },
      body,
    }
  }
  const params = new URLSearchParams()
  for (let i = 0; i < r.int(3) + 1; i++) {
    const which = r.int(4)
    if (which === 0) params.append(r.pick(COLUMNS), filter(r))
    else if (which === 1) params.append('or', `(${r.pick(COLUMNS)}.${filter(r)},id.eq.1)`)
    else if (which === 2)
      params.append(
        'order',
        `${r.pick(COLUMNS)}.nearest(${r.chance(0.5) ? `${num(r)},${num(r)}` : geometryValue(r)})${r.pick(['', '.desc', '.nullslast', '.x'])}`,
      )
    else params.append('select', r.pick(['*', 'id,geom', 'geog', 'id,shop_bles(*)', 'geom::text']))
  }
  return {
    method: 'GET',
    path: `/rest/v1/${table}?${params}`,
    headers: {
      accept: r.pick([
        'application/json',
        'application/geo+json',
        'application/vnd.mapbox-vector-tile; tile=1/0/0',
        'application/vnd.mapbox-vector-tile; tile=99/0/0',
      ]),
    },
  }
}

describe('geo input fuzz', () => {
  it('never answers 5xx; errors are PostgREST JSON', async () => {
    const handlers = {
      rest: h.rest.handler,
      geo: h.geo.handler,
    }
    const result = await runFuzz({
      name: 'geo',
      runs: 3000,
      makeCase,
      send: (c) => {
        const geo = c.path.startsWith('/geo/v1')
        const path = geo ? c.path : c.path.slice('/rest/v1'.length)
        return requestHandler(geo ? handlers.geo : handlers.rest, path, {
          method: c.method,
          headers: { authorization: `Bearer ${h.tokens.bob}`, ...c.headers },
          ...(c.body !== undefined ? { body: c.body } : {}),
        })
      },
      errorShape: ERROR_SHAPES.postgrest,
    })
    expect(result.failures.slice(0, 5)).toEqual([])
  })
})
