/**
 * Spatial filters in the query string: every operator, on geometry and geography columns, with
 * `not.`, inside `or=(…)`, with RLS hiding rows (never returned, never counted), nearest-first
 * ordering, and EXPLAIN showing the GiST index serves them. postgrest-js drives them end to end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GeoHarness, startGeo } from './support/server'

let h: GeoHarness
beforeAll(async () => {
  h = await startGeo({ planEnabled: true })
})
afterAll(async () => {
  await h?.close()
})

const CAMBRIDGE = 'POINT(-71.10044 42.373695)'
const BOX = 'POLYGON((-71.13 42.36,-71.07 42.36,-71.07 42.38,-71.13 42.38,-71.13 42.36))'

async function ids(
  query: string,
  as: 'anon' | 'alice' | 'bob' = 'anon',
  table = 'places',
): Promise<number[]> {
  const response = await h.rest$(`/${table}?select=id&${query}`, { as })
  const body = await response.json()
  expect(response.status, JSON.stringify(body)).toBe(200)
  return (body as Array<{ id: number }>).map((r) => r.id).sort((a, b) => a - b)
}

const q = encodeURIComponent

describe.each(['geom', 'geog'])('on the %s column', (column) => {
  it('st_dwithin(<meters>) measures meters', async () => {
    expect(await ids(`${column}=st_dwithin(1000).${q(CAMBRIDGE)}`)).toEqual([1])
    expect(await ids(`${column}=st_dwithin(1600).${q(CAMBRIDGE)}`)).toEqual([1, 3])
    expect(await ids(`${column}=st_dwithin(2000).${q(CAMBRIDGE)}`)).toEqual([1, 2, 3])
    expect(await ids(`${column}=st_dwithin(2000).${q(CAMBRIDGE)}`, 'bob')).toEqual([1, 2, 3, 6])
  })

  it('st_within, st_intersects and st_bbox select what lies in the box', async () => {
    expect(await ids(`${column}=st_within.${q(BOX)}`)).toEqual([1, 2, 3])
    expect(await ids(`${column}=st_intersects.${q(BOX)}`)).toEqual([1, 2, 3])
    expect(await ids(`${column}=st_bbox.-71.13,42.36,-71.07,42.38`)).toEqual([1, 2, 3])
    expect(await ids(`${column}=st_within.${q(BOX)}`, 'bob')).toEqual([1, 2, 3, 6])
  })

  it('not. negates', async () => {
    expect(await ids(`${column}=not.st_within.${q(BOX)}`)).toEqual([4, 5])
    expect(await ids(`${column}=not.st_dwithin(2000).${q(CAMBRIDGE)}`)).toEqual([4, 5])
    expect(await ids(`${column}=not.st_bbox.-71.13,42.36,-71.07,42.38`, 'bob')).toEqual([4, 5])
  })

  it('works inside or=(…) and and=(…), with double-quoted geometries', async () => {
    expect(await ids(`or=(${column}.st_dwithin(1000).${q(`"${CAMBRIDGE}"`)},name.eq.New%20York)`)).toEqual([
      1, 5,
    ])
    expect(await ids(`and=(${column}.st_within.${q(`"${BOX}"`)},kind.eq.shop)`)).toEqual([1, 3])
    expect(await ids(`or=(${column}.not.st_bbox.${q('"-71.13,42.36,-71.07,42.38"')},id.eq.1)`)).toEqual([
      1, 4, 5,
    ])
  })

  it('takes GeoJSON and EWKT arguments', async () => {
    const polygon = {
      type: 'Polygon',
      coordinates: [
        [
          [-71.13, 42.36],
          [-71.07, 42.36],
          [-71.07, 42.38],
          [-71.13, 42.38],
          [-71.13, 42.36],
        ],
      ],
    }
    expect(await ids(`${column}=st_within.${q(JSON.stringify(polygon))}`)).toEqual([1, 2, 3])
    const x = (6378137 * -71.10044 * Math.PI) / 180
    const y = 6378137 * Math.log(Math.tan(Math.PI / 4 + (42.373695 * Math.PI) / 360))
    expect(await ids(`${column}=st_dwithin(10).${q(`SRID=3857;POINT(${x} ${y})`)}`)).toEqual([1])
  })

  it('RLS: hidden rows are neither returned nor counted', async () => {
    const count = async (as: 'anon' | 'bob') => {
      const response = await h.rest$(`/places?select=id&${column}=st_dwithin(2000).${q(CAMBRIDGE)}`, {
        as,
        headers: { Prefer: 'count=exact' },
      })
      return response.headers.get('content-range')
    }
    expect(await count('anon')).toBe('0-2/3')
    expect(await count('bob')).toBe('0-3/4')
  })

  it('order=<col>.nearest(…) sorts nearest first, then by other terms', async () => {
    const nearest = async (order: string, as: 'anon' | 'bob' = 'anon') => {
      const response = await h.rest$(`/places?select=id&order=${q(order)}&limit=4`, { as })
      expect(response.status).toBe(200)
      return ((await response.json()) as Array<{ id: number }>).map((r) => r.id)
    }
    expect(await nearest(`${column}.nearest(-71.10044,42.373695)`)).toEqual([1, 3, 2, 4])
    expect(await nearest(`${column}.nearest(${CAMBRIDGE})`, 'bob')).toEqual([1, 3, 6, 2])
    expect(await nearest(`${column}.nearest(${CAMBRIDGE}).desc`)).toEqual([5, 4, 2, 3])
    expect(await nearest(`kind.desc,${column}.nearest(-71.10044,42.373695)`)).toEqual([1, 3, 5, 4])
  })
})

describe('polygons and other SRIDs', () => {
  it('st_contains and st_covers on geometry and geography polygons', async () => {
    expect(await ids(`area=st_contains.${q(CAMBRIDGE)}`, 'anon', 'zones')).toEqual([1])
    expect(await ids(`area=st_covers.${q(CAMBRIDGE)}`, 'anon', 'zones')).toEqual([1])
    expect(await ids(`area_geog=st_contains.${q(CAMBRIDGE)}`, 'anon', 'zones')).toEqual([1])
    expect(await ids(`area_geog=st_covers.${q('POINT(-74 40.75)')}`, 'anon', 'zones')).toEqual([2])
    expect(await ids(`area=not.st_contains.${q(CAMBRIDGE)}`, 'anon', 'zones')).toEqual([2])
  })

  it('transforms the argument into a projected column SRID (3857)', async () => {
    expect(await ids(`geom=st_intersects.${q(BOX)}`, 'anon', 'mercator_points')).toEqual([1])
    expect(await ids(`geom=st_bbox.-75,40,-73,41`, 'anon', 'mercator_points')).toEqual([2])
    expect(await ids(`geom=st_dwithin(100).${q(CAMBRIDGE)}`, 'anon', 'mercator_points')).toEqual([1])
  })
})

describe('bad input is a 400 in PostgREST format', () => {
  it.each([
    ['geom=st_within.POINT(1', 'PGRST100'],
    ['geom=st_within.CIRCLE(1 2)', 'PGRST100'],
    ['geom=st_within.POINT(200 100)', 'PGRST100'],
    ['geom=st_within.{"type":"Polygon","coordinates":[[[0,0],[1,1]]]}', 'PGRST100'],
    ['geom=st_dwithin.POINT(1 2)', 'PGRST100'],
    ['geom=st_dwithin(abc).POINT(1 2)', 'PGRST100'],
    ['geom=st_dwithin(-5).POINT(1 2)', 'PGRST100'],
    ['geom=st_bbox.1,2,3', 'PGRST100'],
    ['geom=st_bbox.3,2,1,0', 'PGRST100'],
    ['name=st_within.POINT(1 2)', '42883'],
    ['order=geom.nearest(POINT(1', 'PGRST100'],
    ['order=name.nearest(1,2)', '42883'],
    ['geom=st_within.SRID=9999999;POINT(1 2)', 'PGRST100'],
  ])('%s → %s', async (query, code) => {
    const response = await h.rest$(`/places?${query.replace(/[{}"]/g, (c) => encodeURIComponent(c))}`)
    expect(response.status).toBe(400)
    const body = await response.json()
    expect(body.code).toBe(code)
    expect(body).toHaveProperty('details')
    expect(body).toHaveProperty('hint')
  })

  it('an SRID PostGIS does not know is a 400, not a 500', async () => {
    const response = await h.rest$(`/places?geom=st_within.${q('SRID=999;POINT(1 2)')}`)
    expect(response.status).toBe(400)
    expect((await response.json()).message).toMatch(/SRID/)
  })
})

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: PlanNode[] }

async function plan(query: string): Promise<PlanNode[]> {
  const response = await h.rest$(`/grid?select=id&${query}`, {
    as: 'service',
    headers: { Accept: 'application/vnd.pgrst.plan+json' },
  })
  expect(response.status, await response.clone().text()).toBe(200)
  const [explained] = (await response.json()) as Array<{ Plan: PlanNode }>
  const nodes: PlanNode[] = []
  const walk = (node: PlanNode) => {
    nodes.push(node)
    for (const child of node.Plans ?? []) walk(child)
  }
  walk((explained as { Plan: PlanNode }).Plan)
  return nodes
}

describe('EXPLAIN: the GiST index serves the filters (no sequential scan)', () => {
  it.each([
    ['st_dwithin on geometry 4326 (meters)', `geom=st_dwithin(5000).${q('POINT(10 10)')}`],
    ['st_intersects', `geom=st_intersects.${q('POLYGON((10 10,11 10,11 11,10 11,10 10))')}`],
    ['st_within', `geom=st_within.${q('POLYGON((10 10,11 10,11 11,10 11,10 10))')}`],
    ['st_bbox', 'geom=st_bbox.10,10,11,11'],
    ['nearest-first with a limit', `order=geom.nearest(10,10)&limit=5`],
  ])('%s', async (_, query) => {
    const nodes = await plan(query)
    expect(nodes.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'grid')).toEqual([])
    expect(nodes.some((n) => n['Index Name'] === 'grid_geom_idx')).toBe(true)
  })
})

describe('@supabase/postgrest-js', () => {
  it('expresses every filter through .filter(col, op, value), .not() and .or()', async () => {
    const { data: near } = await h.anon
      .from('places')
      .select('id')
      .filter('geom', 'st_dwithin(2000)', CAMBRIDGE)
      .order('id')
    expect(near).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }])
    const { data: within } = await h.bob
      .from('places')
      .select('id')
      .filter('geog', 'st_within', BOX)
      .order('id')
    expect(within).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 6 }])
    const { data: outside } = await h.anon
      .from('places')
      .select('id')
      .not('geom', 'st_intersects', BOX)
      .order('id')
    expect(outside).toEqual([{ id: 4 }, { id: 5 }])
    const { data: box } = await h.anon
      .from('places')
      .select('id')
      .filter('geom', 'st_bbox', '-71.13,42.36,-71.07,42.38')
      .order('id')
    expect(box).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }])
    const { data: either } = await h.anon
      .from('places')
      .select('id')
      .or(`geom.st_dwithin(1000)."${CAMBRIDGE}",name.eq.New York`)
      .order('id')
    expect(either).toEqual([{ id: 1 }, { id: 5 }])
    const { data: zones } = await h.anon.from('zones').select('id').filter('area', 'st_covers', CAMBRIDGE)
    expect(zones).toEqual([{ id: 1 }])
    const { data: contains } = await h.anon
      .from('zones')
      .select('id')
      .filter('area_geog', 'st_contains', 'POINT(-74 40.75)')
    expect(contains).toEqual([{ id: 2 }])
  })

  it('orders nearest-first through .order()', async () => {
    const { data } = await h.anon
      .from('places')
      .select('id')
      .order('geog.nearest(-71.10044,42.373695)')
      .limit(3)
    expect(data).toEqual([{ id: 1 }, { id: 3 }, { id: 2 }])
  })

  it('.geojson() returns a FeatureCollection', async () => {
    const { data, error } = await h.anon
      .from('places')
      .select('id,name,geom')
      .filter('geom', 'st_dwithin(1000)', CAMBRIDGE)
      .geojson()
    expect(error).toBeNull()
    expect(data).toEqual({
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [-71.10044, 42.373695] },
          properties: { id: 1, name: 'Cambridge St' },
        },
      ],
    })
  })
})
