/**
 * GeoJSON output, ported from PostgREST's PostGIS spec (test/spec/Feature/Query/PostGISSpec.hs),
 * plus what PostgREST lacks: geography as GeoJSON in plain JSON, and writes of GeoJSON/WKT/EWKT.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GeoHarness, startGeo } from './support/server'

let h: GeoHarness
beforeAll(async () => {
  h = await startGeo({ txEnd: 'rollback-allow-override' })
})
afterAll(async () => {
  await h?.close()
})

const GEO = { Accept: 'application/geo+json', Prefer: 'tx=rollback' }
const point = (x: number, y: number) => ({ type: 'Point', coordinates: [x, y] })
/** EPSG:3857 coordinates of a longitude/latitude. */
const mercator = (lon: number, lat: number) => [
  (6378137 * lon * Math.PI) / 180,
  6378137 * Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)),
]

async function geojson(path: string, init: RequestInit = {}) {
  const response = await h.rest$(path, { ...init, headers: { ...GEO, ...(init.headers as object) } })
  return { status: response.status, type: response.headers.get('content-type'), body: await response.json() }
}

describe('Accept: application/geo+json', () => {
  it('works for a table that has a geometry column', async () => {
    const r = await geojson('/shops')
    expect(r.type).toBe('application/geo+json; charset=utf-8')
    expect(r.body).toEqual({
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: point(-71.10044, 42.373695),
          properties: { id: 1, address: '1369 Cambridge St' },
        },
        {
          type: 'Feature',
          geometry: point(-71.10543, 42.366432),
          properties: { id: 2, address: '757 Massachusetts Ave' },
        },
        {
          type: 'Feature',
          geometry: point(-71.081924, 42.36437),
          properties: { id: 3, address: '605 W Kendall St' },
        },
      ],
    })
  })

  it("fails for a table that doesn't have a geometry column (400, 22023, PostgREST's message)", async () => {
    const response = await h.rest$('/projects', { headers: { Accept: 'application/geo+json' } })
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await response.json()).toEqual({
      hint: null,
      details: null,
      code: '22023',
      message: 'geometry column is missing',
    })
  })

  it('gives an empty features array on no rows', async () => {
    const r = await geojson('/shops?id=gt.3')
    expect(r.body).toEqual({ type: 'FeatureCollection', features: [] })
    expect(r.type).toBe('application/geo+json; charset=utf-8')
  })

  it('must include the geometry column when using ?select', async () => {
    const r = await geojson('/shops?select=id,shop_geom&id=eq.1')
    expect(r.body.features).toEqual([
      { type: 'Feature', geometry: point(-71.10044, 42.373695), properties: { id: 1 } },
    ])
  })

  it('works with resource embedding (embeds inside properties)', async () => {
    const r = await geojson('/shops?select=*,shop_bles(*)&id=eq.1')
    const [feature] = r.body.features
    expect(feature.geometry).toEqual(point(-71.10044, 42.373695))
    expect(feature.properties.address).toBe('1369 Cambridge St')
    expect(feature.properties.shop_bles).toHaveLength(2)
    expect(feature.properties.shop_bles[0]).toMatchObject({ id: 1, name: 'Beacon-1', shop_id: 1 })
    expect(feature.properties.shop_bles[0].coords).toEqual({
      type: 'Point',
      crs: { type: 'name', properties: { name: 'EPSG:4326' } },
      coordinates: [-71.10044, 42.373695],
    })
    expect(feature.properties.shop_bles[0].range_area.type).toBe('Polygon')
  })

  it('works with RPC', async () => {
    const r = await geojson('/rpc/get_shop?id=1')
    expect(r.body).toEqual({
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: point(-71.10044, 42.373695),
          properties: { id: 1, address: '1369 Cambridge St' },
        },
      ],
    })
    expect(r.type).toBe('application/geo+json; charset=utf-8')
  })

  it('works with Prefer: return=representation after POST', async () => {
    const r = await geojson('/shops', {
      method: 'POST',
      headers: { Prefer: 'return=representation, tx=rollback', 'Content-Type': 'application/json' },
      body: JSON.stringify({
        id: 4,
        address: '1354 Massachusetts Ave',
        shop_geom: 'SRID=4326;POINT(-71.11834 42.373238)',
      }),
    })
    expect(r.status).toBe(201)
    expect(r.type).toBe('application/geo+json; charset=utf-8')
    expect(r.body.features).toEqual([
      {
        type: 'Feature',
        geometry: point(-71.11834, 42.373238),
        properties: { address: '1354 Massachusetts Ave', id: 4 },
      },
    ])
  })

  it('works with Prefer: return=representation after PATCH, PUT and DELETE', async () => {
    const patch = await geojson('/shops?id=eq.3', {
      method: 'PATCH',
      headers: { Prefer: 'return=representation, tx=rollback', 'Content-Type': 'application/json' },
      body: JSON.stringify({ address: '1354 Massachusetts Avenue' }),
    })
    expect(patch.status).toBe(200)
    expect(patch.body.features).toEqual([
      {
        type: 'Feature',
        geometry: point(-71.081924, 42.36437),
        properties: { address: '1354 Massachusetts Avenue', id: 3 },
      },
    ])
    const put = await geojson('/shops?id=eq.3', {
      method: 'PUT',
      headers: { Prefer: 'return=representation, tx=rollback', 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: 3, address: '1354 Massachusetts Avenue' }),
    })
    expect(put.status).toBe(200)
    expect(put.body.features).toEqual([
      {
        type: 'Feature',
        geometry: point(-71.081924, 42.36437),
        properties: { address: '1354 Massachusetts Avenue', id: 3 },
      },
    ])
    const del = await geojson('/shops?id=eq.3', {
      method: 'DELETE',
      headers: { Prefer: 'return=representation, tx=rollback' },
    })
    expect(del.status).toBe(200)
    expect(del.body.features).toEqual([
      {
        type: 'Feature',
        geometry: point(-71.081924, 42.36437),
        properties: { id: 3, address: '605 W Kendall St' },
      },
    ])
  })

  it('multiple geometry columns: the selected one is the feature geometry', async () => {
    const coords = await geojson('/shop_bles?select=id,name,coords&id=eq.1')
    expect(coords.body.features).toEqual([
      { type: 'Feature', geometry: point(-71.10044, 42.373695), properties: { id: 1, name: 'Beacon-1' } },
    ])
    const area = await geojson('/shop_bles?select=id,name,range_area&id=eq.1')
    expect(area.body.features[0].geometry.type).toBe('Polygon')
    expect(area.body.features[0].properties).toEqual({ id: 1, name: 'Beacon-1' })
  })

  it('a geography column is the feature geometry too', async () => {
    const r = await geojson('/places?select=id,geog&id=eq.1')
    expect(r.body.features).toEqual([
      { type: 'Feature', geometry: point(-71.10044, 42.373695), properties: { id: 1 } },
    ])
  })
})

describe('plain JSON', () => {
  it('gets the geojson geometry object with the regular application/json output', async () => {
    const response = await h.rest$('/shops?id=eq.1')
    expect(await response.json()).toEqual([
      {
        id: 1,
        address: '1369 Cambridge St',
        shop_geom: {
          type: 'Point',
          crs: { type: 'name', properties: { name: 'EPSG:4326' } },
          coordinates: [-71.10044, 42.373695],
        },
      },
    ])
  })

  it('renders geography as a GeoJSON object, never hex EWKB (select=*, named, embedded)', async () => {
    const star = await (await h.rest$('/places?id=eq.1&select=*')).json()
    expect(star[0].geog).toEqual(point(-71.10044, 42.373695))
    expect(Object.keys(star[0])).toEqual(['id', 'name', 'kind', 'public', 'owner', 'geom', 'geog'])
    const named = await (await h.rest$('/places?id=eq.1&select=id,g:geog')).json()
    expect(named).toEqual([{ id: 1, g: point(-71.10044, 42.373695) }])
    // A cast asks for that type: no rendering.
    const cast = await (await h.rest$('/places?id=eq.1&select=geog::text')).json()
    expect(cast[0].geog).toMatch(/^0101000020E6100000/)
  })
})

describe('writes accept GeoJSON objects, WKT and EWKT', () => {
  const insert = (body: unknown, as: 'alice' | 'bob' = 'alice') =>
    h.rest$('/places?select=id,geom,geog', {
      as,
      method: 'POST',
      headers: { Prefer: 'return=representation, tx=rollback', 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    })

  it.each([
    ['a GeoJSON object', point(2.35, 48.85)],
    ['WKT (SRID 4326)', 'POINT(2.35 48.85)'],
    ['EWKT', 'SRID=4326;POINT(2.35 48.85)'],
    ['EWKT in another SRID (transformed)', `SRID=3857;POINT(${mercator(2.35, 48.85).join(' ')})`],
  ])('%s into geometry and geography columns', async (_, value) => {
    const response = await insert({
      id: 100,
      name: 'Paris',
      owner: '00000000-0000-4000-8000-00000000000a',
      geom: value,
      geog: value,
    })
    expect(response.status).toBe(201)
    const [row] = await response.json()
    expect(row.geom.type).toBe('Point')
    expect(row.geom.coordinates[0]).toBeCloseTo(2.35, 3)
    expect(row.geom.coordinates[1]).toBeCloseTo(48.85, 3)
    expect(row.geog.coordinates[0]).toBeCloseTo(2.35, 3)
  })

  it('bulk inserts and PATCH convert too', async () => {
    const bulk = await insert([
      {
        id: 101,
        name: 'a',
        owner: '00000000-0000-4000-8000-00000000000a',
        geom: point(1, 1),
        geog: 'POINT(1 1)',
      },
      {
        id: 102,
        name: 'b',
        owner: '00000000-0000-4000-8000-00000000000a',
        geom: 'POINT(2 2)',
        geog: point(2, 2),
      },
    ])
    expect(bulk.status).toBe(201)
    expect((await bulk.json()).map((r: { geog: unknown }) => r.geog)).toEqual([point(1, 1), point(2, 2)])
    const patch = await h.rest$('/places?id=eq.6&select=geom', {
      as: 'bob',
      method: 'PATCH',
      headers: { Prefer: 'return=representation, tx=rollback', 'Content-Type': 'application/json' },
      body: JSON.stringify({ geom: point(3, 3) }),
    })
    expect(patch.status).toBe(200)
    expect((await patch.json())[0].geom.coordinates).toEqual([3, 3])
  })

  it('answers malformed geometry with 400, never 500', async () => {
    for (const value of [
      'POINT(1',
      'not a geometry',
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 1],
          ],
        ],
      },
      42,
    ]) {
      const response = await insert({
        id: 103,
        name: 'x',
        owner: '00000000-0000-4000-8000-00000000000a',
        geom: value,
      })
      expect(response.status, JSON.stringify(value)).toBe(400)
      const body = await response.json()
      expect(body).toMatchObject({ code: expect.any(String), message: expect.any(String) })
    }
  })
})
