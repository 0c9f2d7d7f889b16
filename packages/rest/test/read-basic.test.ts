import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RestHarness, startRest } from './support/server'

let h: RestHarness
beforeAll(async () => {
  h = await startRest()
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

describe('read path', () => {
  it('reads rows with columns, filters and order', async () => {
    const r = await get('/films?select=id,title&year=gte.1970&order=year.desc')
    expect(r.status).toBe(200)
    expect(r.body).toEqual([
      { id: 5, title: 'Untitled Project' },
      { id: 3, title: 'Lost in Translation' },
      { id: 2, title: 'The Shining' },
    ])
    expect(r.headers.get('content-range')).toBe('0-2/*')
  })

  it('embeds many-to-one, one-to-many and many-to-many', async () => {
    const r = await get('/films?select=title,directors(name),roles(character),actors(name)&id=eq.2')
    expect(r.body).toEqual([
      {
        title: 'The Shining',
        directors: { name: 'Stanley Kubrick' },
        roles: [{ character: 'Jack Torrance' }, { character: 'Wendy Torrance' }],
        actors: [{ name: 'Jack Nicholson' }, { name: 'Shelley Duvall' }],
      },
    ])
  })

  it('answers 300 PGRST201 for an ambiguous embed and resolves it with a hint', async () => {
    const r = await get('/matches?select=id,teams(name)')
    expect(r.status).toBe(300)
    expect((r.body as { code: string }).code).toBe('PGRST201')
    const ok = await get('/matches?select=id,home:teams!home_team_id(name)&id=eq.1')
    expect(ok.body).toEqual([{ id: 1, home: { name: 'Lions' } }])
  })

  it('filters, orders and limits embeds; !inner filters parents', async () => {
    const r = await get(
      '/directors?select=name,films!inner(title)&films.year=lt.1970&films.order=year.asc&order=id',
    )
    expect(r.body).toEqual([
      { name: 'Stanley Kubrick', films: [{ title: '2001: A Space Odyssey' }] },
      { name: 'Akira Kurosawa', films: [{ title: 'Seven Samurai' }] },
    ])
  })

  it('or/and trees, in, is, like, fts, json paths and casts', async () => {
    const r = await get(
      '/films?select=id,lang:info->>language,year::text&or=(year.lt.1960,and(rating.gte.8.4,title.like.*Shin*))&order=id',
    )
    expect(r.body).toEqual([
      { id: 2, lang: 'en', year: '1980' },
      { id: 4, lang: 'ja', year: '1954' },
    ])
    const fts = await get('/films?select=id&tsv=fts(english).hotel&order=id')
    expect(fts.body).toEqual([{ id: 2 }, { id: 3 }])
    const isNull = await get('/films?select=id&rating=is.null')
    expect(isNull.body).toEqual([{ id: 5 }])
    const inList = await get('/films?select=id&id=in.(1,3)&genres=cs.{drama}')
    expect(inList.body).toEqual([{ id: 1 }, { id: 3 }])
  })

  it('counts, ranges and 206', async () => {
    const r = await get('/films?select=id&order=id', { headers: { Range: '0-1', Prefer: 'count=exact' } })
    expect(r.status).toBe(206)
    expect(r.headers.get('content-range')).toBe('0-1/5')
    expect(r.body).toEqual([{ id: 1 }, { id: 2 }])
    const past = await get('/films?select=id&offset=10', { headers: { Prefer: 'count=exact' } })
    expect(past.status).toBe(416)
  })

  it('singular objects, CSV and RLS', async () => {
    const one = await get('/films?select=title&id=eq.1', {
      headers: { Accept: 'application/vnd.pgrst.object+json' },
    })
    expect(one.body).toEqual({ title: '2001: A Space Odyssey' })
    const many = await get('/films?select=title', {
      headers: { Accept: 'application/vnd.pgrst.object+json' },
    })
    expect(many.status).toBe(406)
    expect((many.body as { code: string }).code).toBe('PGRST116')
    const csv = await get('/directors?select=id,name&order=id&limit=2', { headers: { Accept: 'text/csv' } })
    expect(csv.body).toBe('id,name\n1,"Stanley Kubrick"\n2,"Sofia Coppola"')
    const alice = await get('/todos?select=id&order=id', { as: 'alice' })
    expect(alice.body).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }])
    const anon = await get('/todos?select=id')
    expect(anon.status).toBe(401)
  })
})
