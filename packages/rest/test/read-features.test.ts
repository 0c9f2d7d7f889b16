import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RestHarness, startRest } from './support/server'

let h: RestHarness
beforeAll(async () => {
  h = await startRest({ aggregates: true, maxRows: 4, planEnabled: true })
})
afterAll(async () => {
  await h?.close()
})

async function get(path: string, init: RequestInit & { as?: keyof RestHarness['tokens'] } = {}) {
  const response = await h.request(path, init)
  const text = await response.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: response.status, headers: response.headers, body }
}

describe('read features', () => {
  it('computed fields are columns in select, filters and order', async () => {
    const r = await get('/films?select=id,label&label=like.*Shining*')
    expect(r.body).toEqual([{ id: 2, label: 'The Shining (1980)' }])
  })

  it('embeds computed relationships (functions taking the row) and reads arrays with arrows', async () => {
    await h.test.db.query(`
      create function public.film_director(public.films) returns setof public.directors rows 1
      language sql stable as $$ select * from public.directors where id = $1.director_id $$;
      create function public.director_films(public.directors) returns setof public.films
      language sql stable as $$ select * from public.films where director_id = $1.id order by id $$;`)
    await h.rest.api.reloadSchema()
    const toOne = await get('/films?select=title,film_director(name)&id=eq.1')
    expect(toOne.body).toEqual([
      { title: '2001: A Space Odyssey', film_director: { name: 'Stanley Kubrick' } },
    ])
    const toMany = await get('/directors?select=name,director_films(title)&id=eq.1')
    expect(toMany.body).toEqual([
      {
        name: 'Stanley Kubrick',
        director_films: [{ title: '2001: A Space Odyssey' }, { title: 'The Shining' }],
      },
    ])
    const arrays = await get('/films?select=id,first:genres->>0&id=eq.1&genres->>1=eq.drama')
    expect(arrays.body).toEqual([{ id: 1, first: 'scifi' }])
  })

  it('embeds through a view using the base table foreign keys', async () => {
    const r = await get('/classic_films?select=title,directors(name)&order=id')
    expect(r.status).toBe(200)
    expect(r.body).toEqual([
      { title: '2001: A Space Odyssey', directors: { name: 'Stanley Kubrick' } },
      { title: 'Seven Samurai', directors: { name: 'Akira Kurosawa' } },
    ])
    const reverse = await get('/directors?select=name,classic_films(title)&id=eq.3')
    expect(reverse.body).toEqual([{ name: 'Akira Kurosawa', classic_films: [{ title: 'Seven Samurai' }] }])
    // A view over a view still reaches the base table's foreign keys.
    await h.test.db.query(
      'create view public.old_classics as select id, title, director_id from public.classic_films where year < 1960; grant select on public.old_classics to anon',
    )
    await h.rest.api.reloadSchema()
    const nested = await get('/old_classics?select=title,directors(name)')
    expect(nested.body).toEqual([{ title: 'Seven Samurai', directors: { name: 'Akira Kurosawa' } }])
  })

  it('spreads a to-one embed, and a to-many one into arrays (PostgREST 13)', async () => {
    const r = await get('/films?select=title,...directors(director:name)&id=eq.3')
    expect(r.body).toEqual([{ title: 'Lost in Translation', director: 'Sofia Coppola' }])
    const many = await get('/directors?select=name,...films(title,year)&films.order=year&id=eq.1')
    expect(many.body).toEqual([
      { name: 'Stanley Kubrick', title: ['2001: A Space Odyssey', 'The Shining'], year: [1968, 1980] },
    ])
  })

  it('orders by a to-one embed column and filters empty embeds', async () => {
    const r = await get('/films?select=id,directors(name)&order=directors(name).desc.nullslast,id&limit=3')
    expect((r.body as Array<{ id: number }>).map((f) => f.id)).toEqual([1, 2, 3])
    const withoutDirector = await get('/films?select=id,directors()&directors=is.null')
    expect(withoutDirector.body).toEqual([{ id: 5 }])
    const onlyEmbed = await get('/films?select=directors()&directors=is.null')
    expect(onlyEmbed.body).toEqual([{}])
    const bad = await get('/films?select=id,directors(name)&directors=eq.1')
    expect((bad.body as { code: string }).code).toBe('PGRST120')
    const missing = await get('/films?select=id&directors.name=eq.x')
    expect((missing.body as { code: string }).code).toBe('PGRST108')
  })

  it('aggregates with automatic grouping', async () => {
    const r = await get(
      '/films?select=director_id,count(),rating.max()&director_id=not.is.null&order=director_id',
    )
    expect(r.body).toEqual([
      { director_id: 1, count: 2, max: 8.4 },
      { director_id: 2, count: 1, max: 7.7 },
      { director_id: 3, count: 1, max: 8.6 },
    ])
  })

  it('groups by every column of * next to an aggregate', async () => {
    const r = await get('/directors?select=*,films(count())&order=id&limit=1')
    expect(r.body).toEqual([{ id: 1, name: 'Stanley Kubrick', films: [{ count: 2 }] }])
    const byEmbed = await get('/films?select=directors(name),count()&director_id=not.is.null')
    const rows = byEmbed.body as Array<{ directors: { name: string }; count: number }>
    expect(
      rows.sort((a, b) => b.count - a.count || a.directors.name.localeCompare(b.directors.name)),
    ).toEqual([
      { directors: { name: 'Stanley Kubrick' }, count: 2 },
      { directors: { name: 'Akira Kurosawa' }, count: 1 },
      { directors: { name: 'Sofia Coppola' }, count: 1 },
    ])
    const grouped = await get('/roles?select=*,count()&film_id=eq.2&order=actor_id')
    expect(grouped.body).toEqual([
      { film_id: 2, actor_id: 2, character: 'Jack Torrance', count: 1 },
      { film_id: 2, actor_id: 3, character: 'Wendy Torrance', count: 1 },
    ])
  })

  it('counts with the planner for count=planned and beyond maxRows for count=estimated', async () => {
    await h.test.db.query('analyze public.films')
    for (const count of ['planned', 'estimated']) {
      const r = await get('/films?select=id', { headers: { Prefer: `count=${count}` } })
      expect(r.headers.get('content-range')).toMatch(/^0-3\/\d+$/)
      expect(r.headers.get('preference-applied')).toBe(`count=${count}`)
      expect(Number(r.headers.get('content-range')?.split('/')[1])).toBeGreaterThan(0)
    }
    const exactUnderCap = await get('/films?select=id&id=lt.3', { headers: { Prefer: 'count=estimated' } })
    expect(exactUnderCap.headers.get('content-range')).toBe('0-1/2')
  })

  it('caps rows with maxRows and strips nulls on request', async () => {
    const r = await get('/films?select=id&order=id', { headers: { Prefer: 'count=exact' } })
    expect(r.body).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }])
    expect(r.headers.get('content-range')).toBe('0-3/5')
    const stripped = await get('/films?select=id,rating&id=eq.5', {
      headers: { Accept: 'application/vnd.pgrst.array+json;nulls=stripped' },
    })
    expect(stripped.body).toEqual([{ id: 5 }])
  })

  it('negotiates media types, profiles and OPTIONS', async () => {
    const unknown = await get('/films', { headers: { Accept: 'application/xml' } })
    expect(unknown.status).toBe(406)
    expect((unknown.body as { code: string }).code).toBe('PGRST107')
    const profile = await get('/films', { headers: { 'Accept-Profile': 'private' } })
    expect(profile.status).toBe(406)
    expect((profile.body as { code: string }).code).toBe('PGRST106')
    const options = await h.request('/films', { method: 'OPTIONS' })
    expect(options.headers.get('allow')).toBe('OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE')
    const view = await h.request('/film_cast_counts', { method: 'OPTIONS' })
    expect(view.headers.get('allow')).toBe('OPTIONS,GET,HEAD')
    const noFunction = await h.request('/rpc/nope', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1, b: 2 }),
    })
    expect(noFunction.status).toBe(404)
    expect(await noFunction.json()).toMatchObject({
      code: 'PGRST202',
      message: 'Could not find the function public.nope(a, b) in the schema cache',
    })
    const missing = await get('/film')
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({
      code: 'PGRST205',
      hint: "Perhaps you meant the table 'public.films'",
    })
  })

  it('answers CORS preflights and decorates responses', async () => {
    const preflight = await h.request('/films', {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET' },
    })
    expect(preflight.status).toBe(200)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PATCH')
    const r = await h.request('/directors?select=id&limit=1', { headers: { Origin: 'https://app.example' } })
    expect(r.headers.get('access-control-expose-headers')).toContain('Content-Range')
    const { createRest } = await import('../src/index')
    const restricted = createRest({
      db: h.test.db,
      listen: false,
      cors: { origins: ['https://app.example'] },
    })
    try {
      const allowed = await restricted.handler(
        new Request('http://x/directors?select=id&limit=1', { headers: { Origin: 'https://app.example' } }),
      )
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example')
      expect(allowed.headers.get('access-control-allow-credentials')).toBe('true')
      const other = await restricted.handler(
        new Request('http://x/directors?select=id&limit=1', { headers: { Origin: 'https://evil.example' } }),
      )
      expect(other.headers.get('access-control-allow-origin')).toBeNull()
    } finally {
      await restricted.close()
    }
  })

  it('HEAD answers headers only; the plan media type EXPLAINs', async () => {
    const head = await h.request('/films?select=id', { method: 'HEAD', headers: { Prefer: 'count=exact' } })
    expect(head.status).toBe(206)
    expect(head.headers.get('content-range')).toBe('0-3/5')
    expect(await head.text()).toBe('')
    const plan = await get('/films?select=id', { headers: { Accept: 'application/vnd.pgrst.plan+json' } })
    expect(Array.isArray(plan.body)).toBe(true)
  })

  it('reports unknown columns and bad casts as 400s', async () => {
    const col = await get('/films?select=nope')
    expect(col.status).toBe(400)
    expect((col.body as { code: string }).code).toBe('42703')
    const cast = await get('/films?select=id::not a type')
    expect(cast.status).toBe(400)
    const value = await get('/films?id=eq.abc')
    expect(value.status).toBe(400)
    expect((value.body as { code: string }).code).toBe('22P02')
  })
})
