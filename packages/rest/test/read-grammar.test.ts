import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RestHarness, startRest } from './support/server'

let h: RestHarness
beforeAll(async () => {
  h = await startRest()
})
afterAll(async () => {
  await h?.close()
})

async function ids(query: string): Promise<unknown> {
  const response = await h.request(`/films?select=id&order=id&${query}`)
  const body = await response.json()
  if (response.status !== 200) return { status: response.status, body }
  return (body as Array<{ id: number }>).map((r) => r.id)
}

describe('filter operators', () => {
  it.each([
    ['year=eq.1980', [2]],
    ['year=neq.1980&rating=not.is.null', [1, 3, 4]],
    ['rating=gte.8.4', [2, 4]],
    ['rating=lt.8', [3]],
    ['title=like.*Sam*', [4]],
    ['title=ilike.*the*', [2]],
    ['title=match.^[0-9]', [1]],
    ['title=imatch.^the', [2]],
    ['title=like(any).{*Sam*,*Lost*}', [3, 4]],
    ['title=like(all).{*a*,*S*}', [1, 4]],
    ['year=gt(any).{2000,2020}', [3, 5]],
    ['id=not.in.(1,2,3)', [4, 5]],
    ['director_id=isdistinct.1', [3, 4, 5]],
    ['rating=is.null', [5]],
    ['genres=cs.{drama}', [1, 3, 4]],
    ['genres=cd.{drama,scifi,horror}', [1, 2, 5]],
    ['genres=ov.{horror,action}', [2, 4]],
    ['runtime=sl.[190,300)', [1, 2, 3]],
    ['runtime=sr.[0,120)', [1, 2, 4]],
    ['runtime=nxr.[0,150)', [1, 2, 3]],
    ['runtime=nxl.[150,160)', [4]],
    ['runtime=adj.[150,160)', [1, 2]],
    ['info->>language=eq.ja', [4]],
    ['tsv=fts.hotel', [2, 3]],
    ['tsv=plfts(english).isolated hotel', [2]],
    ['tsv=phfts(english).rogue computer', [1]],
    ['tsv=wfts(english).hotel -tokyo', [2]],
    ['tsv=not.fts.hotel', [1, 4]],
    ['title=eq.The%20Shining', [2]],
    ['title=eq.The+Shining', [2]],
    ['or=(year.lt.1960,and(year.gt.2000,rating.is.null))', [4, 5]],
    ['not.or=(year.lt.1960,year.gt.1999)', [1, 2]],
    ['and=(year.gt.1950,or(id.eq.1,id.eq.4),rating.not.gt.8.5)', [1]],
    ['or=(title.eq."Lost in Translation",title.in.("The Shining","x,y"))', [2, 3]],
  ])('%s', async (query, expected) => {
    expect(await ids(query)).toEqual(expected)
  })
})

describe('JSON paths', () => {
  it('compares jsonb values with -> and text with ->>, and indexes arrays', async () => {
    const response = await h.request(
      '/events?select=name,level:attrs->level,first:attrs->tags->>0&attrs->level=gt.1&order=id',
    )
    expect(await response.json()).toEqual([
      { name: 'Retro', level: 2, first: null },
      { name: 'Party', level: 3, first: 'b' },
    ])
    const contained = await h.request('/events?select=name&attrs=cs.{"tags":["a"]}')
    expect(await contained.json()).toEqual([{ name: 'Launch' }])
  })
})

describe('embedding shapes', () => {
  it('one-to-one through a unique foreign key answers an object both ways', async () => {
    const users = await h.request('/profiles?select=username,users(email)&username=eq.bob', { as: 'alice' })
    expect(await users.json()).toEqual([{ username: 'bob', users: { email: 'bob@example.com' } }])
    const profiles = await h.request('/users?select=email,profiles(username)&email=eq.bob@example.com', {
      as: 'alice',
    })
    expect(await profiles.json()).toEqual([{ email: 'bob@example.com', profiles: { username: 'bob' } }])
  })

  it('filters and logic trees on embeds, nested embeds, embed limits', async () => {
    const response = await h.request(
      '/directors?select=name,films(title,roles(character))&films.or=(year.lt.1960,year.gt.2000)&films.roles.limit=1&films.roles.order=character.desc&order=id',
    )
    expect(await response.json()).toEqual([
      { name: 'Stanley Kubrick', films: [] },
      {
        name: 'Sofia Coppola',
        films: [{ title: 'Lost in Translation', roles: [{ character: 'Charlotte' }] }],
      },
      { name: 'Akira Kurosawa', films: [{ title: 'Seven Samurai', roles: [{ character: 'Kikuchiyo' }] }] },
    ])
  })

  it('uses embed null filters inside or/and trees', async () => {
    const response = await h.request(
      '/films?select=id,directors()&directors.name=eq.Sofia Coppola&or=(year.lt.1960,directors.not.is.null)&order=id',
      { headers: { Prefer: 'count=exact' } },
    )
    expect(await response.json()).toEqual([{ id: 3 }, { id: 4 }])
    expect(response.headers.get('content-range')).toBe('0-1/2')
    const inner = await h.request('/directors?select=id,films!inner()&films.year=gt.2000', {
      headers: { Prefer: 'count=exact' },
    })
    expect(await inner.json()).toEqual([{ id: 2 }])
    expect(inner.headers.get('content-range')).toBe('0-0/1')
    const bad = await h.request('/films?select=id,directors()&or=(directors.eq.1,id.eq.1)')
    expect(await bad.json()).toMatchObject({ code: 'PGRST120' })
  })

  it('follows PostgREST conventions for self-referencing foreign keys', async () => {
    await h.test.db.query(`
      create table public.staff (id int primary key, name text not null, boss_id int references public.staff (id));
      insert into public.staff values (1, 'Ada', null), (2, 'Bob', 1), (3, 'Cy', 1);
      grant select on public.staff to anon;`)
    await h.rest.api.reloadSchema()
    const boss = await h.request('/staff?select=name,boss:boss_id(name)&id=eq.2')
    expect(await boss.json()).toEqual([{ name: 'Bob', boss: { name: 'Ada' } }])
    const reports = await h.request('/staff?select=name,reports:staff(name)&id=eq.1')
    expect(await reports.json()).toEqual([{ name: 'Ada', reports: [{ name: 'Bob' }, { name: 'Cy' }] }])
    const hinted = await h.request('/staff?select=name,staff!boss_id(name)&id=eq.1')
    expect(await hinted.json()).toEqual([{ name: 'Ada', staff: [{ name: 'Bob' }, { name: 'Cy' }] }])
  })

  it('counts related rows with rel(count) even with aggregates disabled', async () => {
    const response = await h.request('/directors?select=name,films(count)&order=id')
    expect(await response.json()).toEqual([
      { name: 'Stanley Kubrick', films: [{ count: 2 }] },
      { name: 'Sofia Coppola', films: [{ count: 1 }] },
      { name: 'Akira Kurosawa', films: [{ count: 1 }] },
    ])
    const grouped = await h.request('/directors?select=name,films(count,year)&id=eq.1')
    const [kubrick] = (await grouped.json()) as Array<{ films: unknown[] }>
    expect(kubrick?.films).toEqual(
      expect.arrayContaining([
        { count: 1, year: 1968 },
        { count: 1, year: 1980 },
      ]),
    )
    const disabled = await h.request('/films?select=count()')
    expect(await disabled.json()).toMatchObject({ code: 'PGRST123' })
  })

  it('disambiguates by constraint name and answers PGRST200 for unknown relationships', async () => {
    const byName = await h.request('/matches?select=id,away:teams!matches_away_team_id_fkey(name)&id=eq.2')
    expect(await byName.json()).toEqual([{ id: 2, away: { name: 'Bears' } }])
    const reverse = await h.request('/teams?select=name,matches!home_team_id(id)&id=eq.1')
    expect(await reverse.json()).toEqual([{ name: 'Lions', matches: [{ id: 1 }] }])
    const none = await h.request('/films?select=id,teams(name)')
    expect(none.status).toBe(400)
    expect(await none.json()).toMatchObject({ code: 'PGRST200' })
    const ambiguous = await h.request('/teams?select=name,matches(id)')
    const body = (await ambiguous.json()) as { code: string; details: unknown[]; hint: string }
    expect(ambiguous.status).toBe(300)
    expect(body.details).toHaveLength(2)
    expect(body.hint).toContain("'matches!matches_home_team_id_fkey'")
  })
})
