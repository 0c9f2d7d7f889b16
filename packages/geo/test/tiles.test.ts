/**
 * Vector tiles: `GET /geo/v1/tiles/{schema}.{table}/{z}/{x}/{y}.mvt`, decoded with
 * `@mapbox/vector-tile`: the expected features and attributes, `columns=`, REST filters, RLS
 * (hidden rows are never drawn), 204 for an empty tile, ETag/304 and Cache-Control.
 */
import { VectorTile } from '@mapbox/vector-tile'
import { PbfReader } from 'pbf'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GeoHarness, startGeo } from './support/server'

let h: GeoHarness
beforeAll(async () => {
  h = await startGeo()
})
afterAll(async () => {
  await h?.close()
})

/** The XYZ tile holding a longitude/latitude at zoom z. */
function tileOf(lon: number, lat: number, z: number): [number, number, number] {
  const n = 2 ** z
  const x = Math.floor(((lon + 180) / 360) * n)
  const rad = (lat * Math.PI) / 180
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n)
  return [z, x, y]
}

const BOSTON = tileOf(-71.09, 42.365, 11)

async function tile(path: string, as: 'anon' | 'bob' = 'anon', headers: Record<string, string> = {}) {
  const response = await h.geo$(path, { as, headers })
  const bytes = new Uint8Array(await response.arrayBuffer())
  const decoded = response.status === 200 ? new VectorTile(new PbfReader(bytes)) : null
  return { response, decoded }
}

function features(decoded: VectorTile | null, layer: string) {
  const l = decoded?.layers[layer]
  if (!l) return []
  return Array.from({ length: l.length }, (_, i) => l.feature(i)).map((f) => ({
    properties: f.properties,
    type: f.type,
  }))
}

describe('GET /tiles/{schema}.{table}/{z}/{x}/{y}.mvt', () => {
  it('draws the visible rows of the tile, with their attributes', async () => {
    const { response, decoded } = await tile(`/tiles/public.places/${BOSTON.join('/')}.mvt`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/vnd.mapbox-vector-tile')
    const drawn = features(decoded, 'places')
    expect(drawn.map((f) => f.properties.id).sort()).toEqual([1, 2, 3, 4])
    expect(drawn.every((f) => f.type === 1)).toBe(true)
    expect(drawn.find((f) => f.properties.id === 2)?.properties).toMatchObject({
      name: 'Kendall',
      kind: 'cafe',
    })
    // The geometry columns are the feature's geometry, not attributes.
    expect(drawn[0]?.properties).not.toHaveProperty('geom')
  })

  it('RLS: a hidden row is drawn only for the caller allowed to see it', async () => {
    const bob = features(
      (await tile(`/tiles/public.places/${BOSTON.join('/')}.mvt`, 'bob')).decoded,
      'places',
    )
    expect(bob.map((f) => f.properties.id).sort()).toEqual([1, 2, 3, 4, 6])
  })

  it('columns= chooses the attributes; geometry= the column; REST filters apply', async () => {
    const chosen = features(
      (await tile(`/tiles/public.places/${BOSTON.join('/')}.mvt?columns=id,name&geometry=geog&kind=eq.shop`))
        .decoded,
      'places',
    )
    expect(chosen.map((f) => f.properties).sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
      { id: 1, name: 'Cambridge St' },
      { id: 3, name: 'Harvard' },
    ])
    const near = features(
      (
        await tile(
          `/tiles/places/${BOSTON.join('/')}.mvt?geom=st_dwithin(1000).${encodeURIComponent('POINT(-71.10044 42.373695)')}`,
        )
      ).decoded,
      'places',
    )
    expect(near.map((f) => f.properties.id)).toEqual([1])
  })

  it('answers 204 for an empty tile, with ETag and Cache-Control', async () => {
    const { response } = await tile('/tiles/public.places/12/0/0.mvt')
    expect(response.status).toBe(204)
    expect(response.headers.get('cache-control')).toBe('private, max-age=60')
    expect(response.headers.get('etag')).toMatch(/^".+"$/)
  })

  it('ETag and If-None-Match → 304', async () => {
    const first = await tile(`/tiles/public.places/${BOSTON.join('/')}.mvt`)
    const etag = first.response.headers.get('etag') as string
    expect(etag).toMatch(/^".+"$/)
    expect(first.response.headers.get('cache-control')).toBe('private, max-age=60')
    const again = await tile(`/tiles/public.places/${BOSTON.join('/')}.mvt`, 'anon', {
      'If-None-Match': etag,
    })
    expect(again.response.status).toBe(304)
    // Bob sees another tile (a private row), so another ETag.
    const bob = await tile(`/tiles/public.places/${BOSTON.join('/')}.mvt`, 'bob', { 'If-None-Match': etag })
    expect(bob.response.status).toBe(200)
  })

  it('draws polygons of a geography column at a low zoom', async () => {
    const drawn = features(
      (await tile('/tiles/public.zones/2/1/1.mvt?geometry=area_geog&columns=name')).decoded,
      'zones',
    )
    expect(drawn.map((f) => f.properties.name).sort()).toEqual(['Cambridge box', 'Manhattan box'])
    expect(drawn.every((f) => f.type === 3)).toBe(true)
  })

  it.each([
    ['/tiles/public.places/12/4096/0.mvt', 400],
    ['/tiles/public.places/25/0/0.mvt', 400],
    ['/tiles/public.nope/1/0/0.mvt', 404],
    ['/tiles/private.places/1/0/0.mvt', 406],
    ['/tiles/public.projects/1/0/0.mvt', 400],
    ['/tiles/public.places/1/0/0.png', 404],
    ['/tiles/public.places/1/0/0.mvt?columns=nope', 400],
    ['/tiles/public.places/1/0/0.mvt?geometry=name', 400],
  ])('%s → %i (PostgREST error JSON)', async (path, status) => {
    const response = await h.geo$(path)
    expect(response.status).toBe(status)
    const body = await response.json()
    expect(body).toMatchObject({ code: expect.any(String), message: expect.any(String) })
  })
})
