/**
 * Every read builder method and filter of the real `@supabase/postgrest-js`, against the fixture
 * (public reference data readable by anon). One test per method/filter at least; expected rows are
 * the fixture's, so a wrong filter translation cannot pass.
 *
 * @see https://supabase.com/docs/reference/javascript/select
 * @see https://docs.postgrest.org/en/v12/references/api/tables_views.html
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RestHarness, startRest } from './support/server'

const filmsQuery = () => h.anon.from('films').select('id').order('id')
type FilmQuery = ReturnType<typeof filmsQuery>

let h: RestHarness
beforeAll(async () => {
  h = await startRest({ planEnabled: true })
})
afterAll(async () => {
  await h?.close()
})

/** The ids of the films a filtered query returns, in id order. */
async function filmIds(build: (q: FilmQuery) => FilmQuery): Promise<number[]> {
  const { data, error } = await build(filmsQuery())
  expect(error).toBeNull()
  return ((data ?? []) as Array<{ id: number }>).map((row) => row.id)
}

describe('select', () => {
  it('selects columns', async () => {
    const { data, error, status } = await h.anon.from('directors').select('id, name').order('id')
    expect(error).toBeNull()
    expect(status).toBe(200)
    expect(data).toEqual([
      { id: 1, name: 'Stanley Kubrick' },
      { id: 2, name: 'Sofia Coppola' },
      { id: 3, name: 'Akira Kurosawa' },
    ])
  })

  it('renames with alias:column, casts with ::type and reads JSON paths', async () => {
    const { data, error } = await h.anon
      .from('profiles')
      .select('name:username, theme:settings->>theme, email:settings->notifications->email, age::text')
      .eq('username', 'alice')
    expect(error).toBeNull()
    expect(data).toEqual([{ name: 'alice', theme: 'dark', email: true, age: '34' }])
  })

  it('selects a computed field', async () => {
    const { data } = await h.anon.from('films').select('label').eq('id', 2)
    expect(data).toEqual([{ label: 'The Shining (1980)' }])
  })

  it('reads a view and a materialized view', async () => {
    const view = await h.anon.from('classic_films').select('title').order('year')
    expect(view.data).toEqual([{ title: 'Seven Samurai' }, { title: '2001: A Space Odyssey' }])
    const matview = await h.anon
      .from('film_cast_counts')
      .select('title, actor_count')
      .order('film_id')
      .limit(2)
    expect(matview.data).toEqual([
      { title: '2001: A Space Odyssey', actor_count: 1 },
      { title: 'The Shining', actor_count: 2 },
    ])
  })
})

describe('embedding', () => {
  it('embeds many-to-one as an object', async () => {
    const { data } = await h.anon.from('films').select('title, directors(name)').eq('id', 3)
    expect(data).toEqual([{ title: 'Lost in Translation', directors: { name: 'Sofia Coppola' } }])
  })

  it('embeds one-to-many as an array', async () => {
    const { data } = await h.anon.from('directors').select('name, films(title)').eq('id', 1)
    expect(data?.[0]?.films).toHaveLength(2)
    expect(data?.[0]?.films).toEqual(
      expect.arrayContaining([{ title: '2001: A Space Odyssey' }, { title: 'The Shining' }]),
    )
  })

  it('embeds many-to-many through the junction table', async () => {
    const { data } = await h.anon.from('films').select('title, actors(name)').eq('id', 3)
    expect(data?.[0]?.actors).toEqual(
      expect.arrayContaining([{ name: 'Bill Murray' }, { name: 'Scarlett Johansson' }]),
    )
    expect(data?.[0]?.actors).toHaveLength(2)
  })

  it('filters inside an embed without filtering the parent', async () => {
    const { data } = await h.anon
      .from('directors')
      .select('name, films(title)')
      .eq('films.year', 1980)
      .order('id')
    expect(data).toEqual([
      { name: 'Stanley Kubrick', films: [{ title: 'The Shining' }] },
      { name: 'Sofia Coppola', films: [] },
      { name: 'Akira Kurosawa', films: [] },
    ])
  })

  it('filters the parent by the embed with !inner', async () => {
    const { data } = await h.anon.from('directors').select('name, films!inner(title)').eq('films.year', 1980)
    expect(data).toEqual([{ name: 'Stanley Kubrick', films: [{ title: 'The Shining' }] }])
  })

  it('filters on the existence of an embed with .not(rel, is, null)', async () => {
    const { data } = await h.anon
      .from('films')
      .select('id, directors()')
      .not('directors', 'is', null)
      .order('id')
    expect(data?.map((r) => r.id)).toEqual([1, 2, 3, 4])
  })

  it('orders and limits an embed with referencedTable', async () => {
    const { data } = await h.anon
      .from('directors')
      .select('name, films(title, year)')
      .eq('id', 1)
      .order('year', { referencedTable: 'films', ascending: false })
      .limit(1, { referencedTable: 'films' })
    expect(data).toEqual([{ name: 'Stanley Kubrick', films: [{ title: 'The Shining', year: 1980 }] }])
  })

  it('answers 300 PGRST201 for an ambiguous embed and resolves it with !hint', async () => {
    const ambiguous = await h.anon.from('matches').select('id, teams(name)')
    expect(ambiguous.status).toBe(300)
    expect(ambiguous.error?.code).toBe('PGRST201')
    const { data, error } = await h.anon
      .from('matches')
      .select('id, home:teams!home_team_id(name), away:teams!away_team_id(name)')
      .eq('id', 1)
    expect(error).toBeNull()
    expect(data).toEqual([{ id: 1, home: { name: 'Lions' }, away: { name: 'Tigers' } }])
  })

  it('spreads a to-one embed into the parent', async () => {
    const { data } = await h.anon.from('films').select('title, ...directors(director:name)').eq('id', 4)
    expect(data).toEqual([{ title: 'Seven Samurai', director: 'Akira Kurosawa' }])
  })
})

describe('filters', () => {
  it('eq / neq', async () => {
    expect(await filmIds((q) => q.eq('year', 1980))).toEqual([2])
    expect(await filmIds((q) => q.neq('year', 1980))).toEqual([1, 3, 4, 5])
  })

  it('gt / gte / lt / lte', async () => {
    expect(await filmIds((q) => q.gt('year', 1980))).toEqual([3, 5])
    expect(await filmIds((q) => q.gte('year', 1980))).toEqual([2, 3, 5])
    expect(await filmIds((q) => q.lt('year', 1968))).toEqual([4])
    expect(await filmIds((q) => q.lte('year', 1968))).toEqual([1, 4])
  })

  it('in / not in', async () => {
    expect(await filmIds((q) => q.in('id', [1, 3]))).toEqual([1, 3])
    expect(await filmIds((q) => q.notIn('id', [1, 3]))).toEqual([2, 4, 5])
    // postgrest-js double-quotes values holding reserved characters (`,` `(` `)`).
    expect(await filmIds((q) => q.in('title', ['The Shining', 'Seven, Samurai (x)']))).toEqual([2])
  })

  it('is null / not is null / isDistinct', async () => {
    expect(await filmIds((q) => q.is('rating', null))).toEqual([5])
    expect(await filmIds((q) => q.not('director_id', 'is', null))).toEqual([1, 2, 3, 4])
    expect(await filmIds((q) => q.isDistinct('director_id', 1))).toEqual([3, 4, 5])
  })

  it('like / ilike and their anyOf/allOf forms', async () => {
    expect(await filmIds((q) => q.like('title', '%Samurai'))).toEqual([4])
    expect(await filmIds((q) => q.ilike('title', '%the%'))).toEqual([2])
    expect(await filmIds((q) => q.likeAnyOf('title', ['%Samurai', '2001%']))).toEqual([1, 4])
    expect(await filmIds((q) => q.likeAllOf('title', ['%S%', '%y%']))).toEqual([1])
    expect(await filmIds((q) => q.ilikeAnyOf('title', ['%SHINING%', '%lost%']))).toEqual([2, 3])
    expect(await filmIds((q) => q.ilikeAllOf('title', ['%s%', '%a%']))).toEqual([1, 3, 4])
  })

  it('regexMatch / regexIMatch', async () => {
    expect(await filmIds((q) => q.regexMatch('title', '^S'))).toEqual([4])
    expect(await filmIds((q) => q.regexIMatch('title', '^(the|lost)'))).toEqual([2, 3])
  })

  it('or, with a nested and', async () => {
    expect(await filmIds((q) => q.or('year.lt.1960,rating.gte.8.4'))).toEqual([2, 4])
    expect(await filmIds((q) => q.or('and(year.gt.1960,year.lt.1990),id.eq.5'))).toEqual([1, 2, 5])
  })

  it('or on an embedded resource with referencedTable', async () => {
    const { data } = await h.anon
      .from('directors')
      .select('id, films(id)')
      .eq('id', 1)
      .or('year.eq.1968,rating.gt.8.35', { referencedTable: 'films' })
    expect(data?.[0]?.films.map((f: { id: number }) => f.id).sort()).toEqual([1, 2])
    const none = await h.anon
      .from('directors')
      .select('id, films(id)')
      .eq('id', 1)
      .or('year.eq.1900', { referencedTable: 'films' })
    expect(none.data).toEqual([{ id: 1, films: [] }])
  })

  it('not', async () => {
    expect(await filmIds((q) => q.not('title', 'like', '%a%'))).toEqual([2, 5])
    expect(await filmIds((q) => q.not('id', 'in', '(1,2,3)'))).toEqual([4, 5])
  })

  it('match', async () => {
    expect(await filmIds((q) => q.match({ director_id: 1, year: 1980 }))).toEqual([2])
  })

  it('filter (raw operator)', async () => {
    expect(await filmIds((q) => q.filter('year', 'gte', '2000'))).toEqual([3, 5])
    expect(await filmIds((q) => q.filter('genres', 'cs', '{drama}'))).toEqual([1, 3, 4])
  })

  it('textSearch: to_tsquery, plain, phrase, websearch, with a config', async () => {
    expect(await filmIds((q) => q.textSearch('tsv', 'hotel'))).toEqual([2, 3])
    expect(await filmIds((q) => q.textSearch('tsv', 'lonely & tokyo', { config: 'english' }))).toEqual([3])
    expect(await filmIds((q) => q.textSearch('tsv', 'lonely tokyo', { type: 'plain' }))).toEqual([3])
    expect(await filmIds((q) => q.textSearch('tsv', 'isolated hotel', { type: 'phrase' }))).toEqual([2])
    expect(
      await filmIds((q) => q.textSearch('tsv', '"rogue computer" or samurai', { type: 'websearch' })),
    ).toEqual([1, 4])
  })

  it('contains / containedBy / overlaps on arrays', async () => {
    expect(await filmIds((q) => q.contains('genres', ['drama']))).toEqual([1, 3, 4])
    expect(await filmIds((q) => q.containedBy('genres', ['drama', 'scifi', 'romance']))).toEqual([1, 3, 5])
    expect(await filmIds((q) => q.overlaps('genres', ['horror', 'action']))).toEqual([2, 4])
  })

  it('contains on jsonb', async () => {
    const { data } = await h.anon.from('profiles').select('username').contains('settings', { theme: 'dark' })
    expect(data).toEqual([{ username: 'alice' }])
  })

  it('range operators: rangeGt, rangeGte, rangeLt, rangeLte, rangeAdjacent, overlaps', async () => {
    expect(await filmIds((q) => q.rangeGt('runtime', '[150,160)'))).toEqual([4])
    expect(await filmIds((q) => q.rangeGte('runtime', '[140,145)'))).toEqual([1, 2, 4])
    expect(await filmIds((q) => q.rangeLt('runtime', '[140,150)'))).toEqual([3])
    expect(await filmIds((q) => q.rangeLte('runtime', '[100,145)'))).toEqual([3])
    expect(await filmIds((q) => q.rangeAdjacent('runtime', '[110,140)'))).toEqual([1, 2, 3])
    expect(await filmIds((q) => q.overlaps('runtime', '[145,205)'))).toEqual([1, 2, 4])
  })

  it('filters on a JSON path', async () => {
    const { data } = await h.anon.from('profiles').select('username').eq('settings->>theme', 'light')
    expect(data).toEqual([{ username: 'bob' }])
  })
})

describe('modifiers', () => {
  it('order with nullsFirst and several columns', async () => {
    const { data } = await h.anon
      .from('films')
      .select('id')
      .order('rating', { ascending: false, nullsFirst: true })
    expect(data?.map((r) => r.id)).toEqual([5, 4, 2, 1, 3])
    const twoKeys = await h.anon
      .from('films')
      .select('id')
      .order('director_id', { ascending: true, nullsFirst: false })
      .order('year', { ascending: false })
    expect(twoKeys.data?.map((r) => r.id)).toEqual([2, 1, 3, 4, 5])
  })

  it('limit', async () => {
    const { data } = await h.anon.from('films').select('id').order('id').limit(2)
    expect(data).toEqual([{ id: 1 }, { id: 2 }])
  })

  it('range, with an exact count', async () => {
    const { data, count, status } = await h.anon
      .from('films')
      .select('id', { count: 'exact' })
      .order('id')
      .range(1, 2)
    expect(data).toEqual([{ id: 2 }, { id: 3 }])
    expect(count).toBe(5)
    expect(status).toBe(206)
  })

  it('count exact with head: no body', async () => {
    const { data, count, error } = await h.anon
      .from('films')
      .select('*', { count: 'exact', head: true })
      .gte('year', 1980)
    expect(error).toBeNull()
    expect(data).toBeNull()
    expect(count).toBe(3)
  })

  it('count planned and estimated give a number', async () => {
    const planned = await h.anon.from('films').select('id', { count: 'planned' })
    expect(planned.error).toBeNull()
    expect(typeof planned.count).toBe('number')
    const estimated = await h.anon.from('films').select('id', { count: 'estimated' })
    expect(estimated.error).toBeNull()
    expect(estimated.count).toBe(5)
  })

  it('single returns an object, and PGRST116 when not exactly one row', async () => {
    const one = await h.anon.from('films').select('title').eq('id', 2).single()
    expect(one.data).toEqual({ title: 'The Shining' })
    const many = await h.anon.from('films').select('title').single()
    expect(many.status).toBe(406)
    expect(many.error?.code).toBe('PGRST116')
  })

  it('maybeSingle returns null for no row', async () => {
    const { data, error } = await h.anon.from('films').select('title').eq('id', 999).maybeSingle()
    expect(error).toBeNull()
    expect(data).toBeNull()
  })

  it('csv: an unquoted header line, then rows as Postgres row literals, as PostgREST writes it', async () => {
    const { data, error } = await h.anon.from('films').select('id,title').in('id', [1, 2]).order('id').csv()
    expect(error).toBeNull()
    expect(data).toBe('id,title\n1,"2001: A Space Odyssey"\n2,"The Shining"')
  })

  it('stripNulls drops null fields', async () => {
    const { data } = await h.anon.from('films').select('id, rating, director_id').eq('id', 5).stripNulls()
    expect(data).toEqual([{ id: 5 }])
  })

  it('abortSignal aborts the request', async () => {
    const controller = new AbortController()
    controller.abort()
    const { error, status } = await h.anon.from('films').select('id').abortSignal(controller.signal)
    expect(status).toBe(0)
    expect(error?.message).toMatch(/Abort/)
  })

  it('explain returns the plan (planEnabled)', async () => {
    const { data, error } = await h.anon.from('films').select('id').eq('id', 1).explain()
    expect(error).toBeNull()
    expect(String(data)).toMatch(/Scan/)
  })

  it('throwOnError rejects with the PostgREST error', async () => {
    await expect(h.anon.from('no_such_table').select('*').throwOnError()).rejects.toMatchObject({
      code: 'PGRST205',
    })
  })

  it('schema() outside the exposed schemas answers PGRST106', async () => {
    const { error, status } = await h.anon.schema('auth').from('users').select('*')
    expect(status).toBe(406)
    expect(error?.code).toBe('PGRST106')
  })
})
