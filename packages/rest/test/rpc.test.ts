/**
 * `/rpc/<fn>` through `.rpc()` of the real `@supabase/postgrest-js`: POST/GET/HEAD, argument
 * styles (named, single json body, variadic), overloads, every return shape, and read modifiers
 * on set-returning functions.
 *
 * @see https://docs.postgrest.org/en/v12/references/api/functions.html
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RestHarness, startRest, USERS } from './support/server'

let h: RestHarness
beforeAll(async () => {
  h = await startRest()
})
afterAll(async () => {
  await h?.close()
})

describe('calling conventions', () => {
  it('POSTs named arguments to a scalar function', async () => {
    const { data, error, status } = await h.anon.rpc('add', { a: 1, b: 2 })
    expect(error).toBeNull()
    expect(status).toBe(200)
    expect(data).toBe(3)
  })

  it('GETs an immutable function with arguments in the query string', async () => {
    const { data, error } = await h.anon.rpc('add', { a: 20, b: 22 }, { get: true })
    expect(error).toBeNull()
    expect(data).toBe(42)
  })

  it('answers HEAD with no body and the count', async () => {
    const { data, error, count, status } = await h.anon.rpc(
      'search_films',
      { q: 'the' },
      { head: true, count: 'exact' },
    )
    expect(error).toBeNull()
    expect(status).toBe(200)
    expect(data).toBeNull()
    expect(count).toBe(1)
  })

  it('passes array arguments in GET as {a,b} literals', async () => {
    const { data, error } = await h.anon.rpc('array_length_of', { items: [4, 5, 6] }, { get: true })
    expect(error).toBeNull()
    expect(data).toBe(3)
  })

  it('uses parameter defaults for omitted arguments', async () => {
    const { data, error } = await h.anon.rpc('films_between', { to_year: 1960 }).select('title')
    expect(error).toBeNull()
    expect(data).toEqual([{ title: 'Seven Samurai' }])
  })

  it('calls a variadic function with an array (POST) and repeated parameters (GET)', async () => {
    const post = await h.anon.rpc('concat_all', { parts: ['a', 'b', 'c'] })
    expect(post.error).toBeNull()
    expect(post.data).toBe('a-b-c')
    const get = await h.request('/rpc/concat_all?parts=x&parts=y')
    expect(get.status).toBe(200)
    expect(await get.json()).toBe('x-y')
  })

  it('resolves overloads by argument names', async () => {
    expect((await h.anon.rpc('greet', { name: 'Ada' })).data).toBe('Hello, Ada')
    expect((await h.anon.rpc('greet', { name: 'Ada', greeting: 'Hi' })).data).toBe('Hi, Ada')
  })

  it('passes the whole body to a single unnamed json parameter', async () => {
    const payload = { anything: [1, { nested: true }], s: 'x' }
    const { data, error } = await h.anon.rpc('echo_json', payload)
    expect(error).toBeNull()
    expect(data).toEqual(payload)
    const array = await h.request('/rpc/echo_json', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '[1,2,3]',
    })
    expect(array.status).toBe(200)
    expect(await array.json()).toEqual([1, 2, 3])
  })

  it('passes a json object to a named jsonb parameter', async () => {
    const { data, error } = await h.anon.rpc('sum_numbers', { payload: { numbers: [1, 2, 3.5] } })
    expect(error).toBeNull()
    expect(data).toBe(6.5)
  })
})

describe('more calling conventions', () => {
  it('filters a set-returning GET call with non-argument parameters', async () => {
    const { data, error } = await h.anon
      .rpc('films_between', { from_year: 1950, to_year: 1990 }, { get: true })
      .select('id')
      .gt('rating', 8.35)
      .order('id')
    expect(error).toBeNull()
    expect(data).toEqual([{ id: 2 }, { id: 4 }])
  })

  it('passes the whole object to a named json parameter with Prefer: params=single-object', async () => {
    const response = await h.request('/rpc/sum_numbers', {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'params=single-object' },
      body: JSON.stringify({ numbers: [2, 3] }),
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toBe(5)
  })

  it('passes a text/plain body as is to a single unnamed text parameter', async () => {
    const response = await h.request('/rpc/shout', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello, "raw" world',
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toBe('HELLO, "RAW" WORLD!')
  })

  it('accepts a urlencoded form body', async () => {
    const response = await h.request('/rpc/add', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=40&b=2',
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toBe(42)
  })

  it('answers text/plain for a scalar when asked', async () => {
    const response = await h.request('/rpc/greet?name=Ada', { headers: { accept: 'text/plain' } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await response.text()).toBe('Hello, Ada')
  })

  it('answers 405 to GET of a volatile function only when it writes: OPTIONS lists POST only', async () => {
    const response = await h.request('/rpc/log_message', { method: 'OPTIONS' })
    expect(response.headers.get('allow')).toBe('OPTIONS,POST')
    const stable = await h.request('/rpc/add', { method: 'OPTIONS' })
    expect(stable.headers.get('allow')).toBe('OPTIONS,GET,HEAD,POST')
  })
})

describe('return shapes', () => {
  it('returns a set of rows as an array, with filters, select, order and limit', async () => {
    const { data, error } = await h.anon
      .rpc('films_between', { from_year: 1950, to_year: 2010 })
      .select('title, year')
      .gte('rating', 8)
      .order('year', { ascending: false })
      .limit(2)
    expect(error).toBeNull()
    expect(data).toEqual([
      { title: 'The Shining', year: 1980 },
      { title: '2001: A Space Odyssey', year: 1968 },
    ])
  })

  it('embeds relations of the returned table type', async () => {
    const { data, error } = await h.anon
      .rpc('search_films', { q: 'shining' })
      .select('title, directors(name)')
    expect(error).toBeNull()
    expect(data).toEqual([{ title: 'The Shining', directors: { name: 'Stanley Kubrick' } }])
  })

  it('returns a single composite as an object', async () => {
    const { data, error } = await h.anon.rpc('get_film', { film_id: 4 }).select('id, title')
    expect(error).toBeNull()
    expect(data).toEqual({ id: 4, title: 'Seven Samurai' })
  })

  it('returns OUT parameters as an object', async () => {
    const { data, error } = await h.anon.rpc('film_stats', { film_id: 2 })
    expect(error).toBeNull()
    expect(data).toEqual({ film_title: 'The Shining', cast_size: 2 })
  })

  it('returns a set of scalars as an array, with range and count', async () => {
    const { data, error, count } = await h.anon.rpc('numbers', { n: 10 }, { count: 'exact' }).range(2, 4)
    expect(error).toBeNull()
    expect(data).toEqual([3, 4, 5])
    expect(count).toBe(10)
  })

  it('answers 204 for a void function', async () => {
    const { data, error, status } = await h.anon.rpc('ping')
    expect(error).toBeNull()
    expect(status).toBe(204)
    expect(data).toBeNull()
  })

  it('returns a single object with .single() on a set', async () => {
    const { data, error } = await h.anon.rpc('search_films', { q: 'samurai' }).select('id').single()
    expect(error).toBeNull()
    expect(data).toEqual({ id: 4 })
  })
})

describe('transactions and security', () => {
  it('runs a volatile function in a read-write transaction on POST', async () => {
    const { data, error } = await h.alice.rpc('create_list', { title: 'From RPC' }).select('title, owner_id')
    expect(error).toBeNull()
    expect(data).toEqual({ title: 'From RPC', owner_id: USERS.alice })
  })

  it('runs GET read-only: a volatile function that writes answers 405 (25006)', async () => {
    const { error, status } = await h.anon.rpc('bump_counter', {}, { get: true })
    expect(status).toBe(405)
    expect(error?.code).toBe('25006')
  })

  it('runs POST on the same function read-write', async () => {
    const { data, error } = await h.anon.rpc('bump_counter')
    expect(error).toBeNull()
    expect(typeof data).toBe('number')
  })

  it('writes through a void volatile function, visible afterwards', async () => {
    const { error, status } = await h.anon.rpc('log_message', { message: 'hello from rpc' })
    expect(error).toBeNull()
    expect(status).toBe(204)
    const { rows } = await h.test.db.query(
      "select count(*)::int as n from audit_log where message = 'hello from rpc'",
    )
    expect(rows[0]?.n).toBe(1)
  })

  it('sees the caller through auth.uid()', async () => {
    expect((await h.alice.rpc('whoami')).data).toBe(USERS.alice)
    expect((await h.anon.rpc('whoami')).data).toBeNull()
  })

  it('applies RLS to rows returned by functions, and filters on them', async () => {
    const { data, error } = await h.bob.rpc('my_todos').select('id').eq('done', false).order('id')
    expect(error).toBeNull()
    expect(data).toEqual([{ id: 3 }, { id: 4 }, { id: 5 }])
  })

  it('answers 401 to anon for a function it may not execute', async () => {
    const { error, status } = await h.anon.rpc('my_todos')
    expect(status).toBe(401)
    expect(error?.code).toBe('42501')
  })

  it('forwards RAISE EXCEPTION as P0001 with message, detail and hint (400)', async () => {
    const { error, status } = await h.anon.rpc('fail', { message: 'boom' })
    expect(status).toBe(400)
    expect(error).toEqual({
      code: 'P0001',
      message: 'boom',
      details: 'raised by fail()',
      hint: 'do not call fail()',
    })
  })
})

describe('errors', () => {
  it('answers 404 PGRST202 with a hint for an unknown function', async () => {
    const { error, status } = await h.anon.rpc('no_such_function', { x: 1 })
    expect(status).toBe(404)
    expect(error?.code).toBe('PGRST202')
    expect(error?.message).toContain('public.no_such_function')
  })

  it('answers 404 PGRST202 when no overload takes the given argument names', async () => {
    const { error, status } = await h.anon.rpc('add', { a: 1, c: 2 })
    expect(status).toBe(404)
    expect(error?.code).toBe('PGRST202')
    expect(error?.hint).toContain('public.add(a, b)')
  })

  it('answers 300 PGRST203 when overloads cannot be told apart, and resolves them by names', async () => {
    const { error, status } = await h.anon.rpc('pick')
    expect(status).toBe(300)
    expect(error?.code).toBe('PGRST203')
    expect((await h.anon.rpc('pick', { a: 5 })).data).toBe(5)
    expect((await h.anon.rpc('pick', { c: 10 })).data).toBe(12)
  })

  it('rejects verbs other than GET/HEAD/POST on functions', async () => {
    const response = await h.request('/rpc/add?a=1&b=2', { method: 'DELETE' })
    expect(response.status).toBe(405)
    expect((await response.json()).code).toBe('PGRST101')
  })

  it('answers PGRST102 for an invalid JSON body', async () => {
    const response = await h.request('/rpc/add', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a": 1,',
    })
    expect(response.status).toBe(400)
    expect((await response.json()).code).toBe('PGRST102')
  })
})
