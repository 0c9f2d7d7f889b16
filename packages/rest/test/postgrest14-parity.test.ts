/**
 * Regression tests for issue 17: each behaviour PostgREST 14 has and `@groundwork/rest` answered
 * differently, found by running `@supabase/postgrest-js`' own query patterns against the schema it
 * is tested with (fixtures/supabase-app.sql). Named after the behaviour; expected bodies are
 * PostgREST 14's (postgrest-js' snapshots, PostgREST's source).
 *
 * @see https://docs.postgrest.org/en/v14/references/api/functions.html
 * @see https://docs.postgrest.org/en/v14/references/api/resource_embedding.html
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RestHarness, startRest } from './support/server'

let h: RestHarness
beforeAll(async () => {
  h = await startRest(
    { schemas: ['public', 'personal'], aggregates: true, planEnabled: true, txEnd: 'commit-allow-override' },
    { fixture: 'supabase' },
  )
})
afterAll(async () => {
  await h?.close()
})

describe('functions returning TABLE, SETOF record and OUT parameters', () => {
  it('selects, filters and orders the columns of a function returning TABLE', async () => {
    const selected = await h.anon.rpc('get_username_and_status', { name_param: 'supabot' }).select('status')
    expect(selected.error).toBeNull()
    expect(selected.data).toEqual([{ status: 'ONLINE' }])
    const filtered = await h.anon
      .rpc('get_username_and_status', { name_param: 'supabot' })
      .select('name:username, status::text')
      .eq('status', 'OFFLINE')
      .order('username')
    expect(filtered.error).toBeNull()
    expect(filtered.data).toEqual([])
    const counted = await h.anon
      .rpc('get_username_and_status', { name_param: 'supabot' })
      .select('username.count(), status')
    expect(counted.data).toEqual([{ count: 1, status: 'ONLINE' }])
  })

  it('reads SETOF record with OUT parameters as rows it can filter, order and page', async () => {
    const { data, error, count } = await h.anon
      .rpc('channel_stats', undefined, { count: 'exact' })
      .select('channel_id, message_count')
      .gte('message_count', 1)
      .order('message_count', { ascending: false })
      .order('channel_id')
      .range(0, 1)
    expect(error).toBeNull()
    expect(data).toEqual([
      { channel_id: 3, message_count: 2 },
      { channel_id: 1, message_count: 1 },
    ])
    expect(count).toBe(3)
  })

  it('answers one OUT parameter, and several, as one object', async () => {
    const one = await h.anon.rpc('username_length', { name_param: 'supabot' })
    expect(one.error).toBeNull()
    expect(one.data).toEqual({ len: 7 })
    const several = await h.anon.rpc('user_counts').select('online')
    expect(several.error).toBeNull()
    expect(several.data).toEqual({ online: 4 })
  })
})

describe('relationships', () => {
  it('embeds by foreign-key column name when views expose the referenced table', async () => {
    const { data, error, status } = await h.anon
      .from('user_profiles')
      .select('id, username(username, status)')
      .order('id')
    expect(error).toBeNull()
    expect(status).toBe(200)
    expect(data).toEqual([
      { id: 1, username: { username: 'supabot', status: 'ONLINE' } },
      { id: 2, username: null },
    ])
  })

  it('hints the target table, not the name written, when an embed is ambiguous', async () => {
    const { error, status } = await h.anon
      .from('best_friends')
      .select('first_user:users(*), second_user:users(*), third_wheel:users(*)')
    expect(status).toBe(300)
    expect(error).toEqual({
      code: 'PGRST201',
      details: [
        {
          cardinality: 'many-to-one',
          embedding: 'best_friends with users',
          relationship: 'best_friends_first_user_fkey using best_friends(first_user) and users(username)',
        },
        {
          cardinality: 'many-to-one',
          embedding: 'best_friends with users',
          relationship: 'best_friends_second_user_fkey using best_friends(second_user) and users(username)',
        },
        {
          cardinality: 'many-to-one',
          embedding: 'best_friends with users',
          relationship: 'best_friends_third_wheel_fkey using best_friends(third_wheel) and users(username)',
        },
      ],
      hint: "Try changing 'users' to one of the following: 'users!best_friends_first_user_fkey', 'users!best_friends_second_user_fkey', 'users!best_friends_third_wheel_fkey'. Find the desired relationship in the 'details' key.",
      message: "Could not embed because more than one relationship was found for 'best_friends' and 'users'",
    })
  })

  it('refuses the same table embedded twice under one name (42712)', async () => {
    const { error, status } = await h.anon
      .from('best_friends')
      .select('users!first_user(*), users!second_user(*)')
      .limit(1)
      .single()
    expect(status).toBe(400)
    expect(error).toEqual({
      code: '42712',
      details: null,
      hint: null,
      message: 'table name "best_friends_users_1" specified more than once',
    })
  })

  it('spreads a to-many embed into arrays of its columns', async () => {
    const { data, error } = await h.anon
      .from('channels')
      .select('channel_id:id, ...messages(id, message)')
      .limit(1)
      .single()
    expect(error).toBeNull()
    expect(data).toEqual({ channel_id: 1, id: [1], message: ['Hello World 👋'] })
    const many = await h.anon
      .from('users')
      .select('username, ...messages(channel_id)')
      .in('username', ['supabot', 'kiwicopple'])
      .order('username')
    expect(many.data).toEqual([
      { username: 'kiwicopple', channel_id: [] },
      { username: 'supabot', channel_id: [1, 2, 3, 3] },
    ])
  })
})

describe('Prefer: max-affected on RPC', () => {
  it("enforces max-affected on a function and rolls the function's writes back", async () => {
    const { error, status } = await h.anon.rpc('set_users_offline', { name_param: '%a%' }).maxAffected(1)
    expect(status).toBe(400)
    expect(error).toEqual({
      code: 'PGRST124',
      details: 'The query affects 3 rows',
      hint: null,
      message: 'Query result exceeds max-affected preference constraint',
    })
    const { rows } = await h.test.db.query("select count(*)::int as n from users where status = 'OFFLINE'")
    expect(rows[0]?.n).toBe(1)
    const within = await h.anon.rpc('set_users_offline', { name_param: 'nobody' }).maxAffected(1)
    expect(within.error).toBeNull()
    expect(within.data).toEqual([])
  })

  it('refuses max-affected on a function that does not return a set (PGRST128)', async () => {
    const { error, status } = await h.anon.rpc('offline_user', { name_param: 'supabot' }).maxAffected(1)
    expect(status).toBe(400)
    expect(error).toEqual({
      code: 'PGRST128',
      details: null,
      hint: null,
      message:
        'Function must return SETOF or TABLE when max-affected preference is used with handling=strict',
    })
  })

  it('rolls a function call back with Prefer: tx=rollback', async () => {
    const { data, error } = await h.anon.rpc('offline_user', { name_param: 'dragarcia' }).rollback()
    expect(error).toBeNull()
    expect(data).toBe('OFFLINE')
    const after = await h.anon.from('users').select('status').eq('username', 'dragarcia').single()
    expect(after.data).toEqual({ status: 'ONLINE' })
  })
})

describe('status and counts', () => {
  it('answers 200 to an upsert that only updates existing rows, 201 when one is inserted', async () => {
    const updated = await h.anon
      .from('users')
      .upsert({ username: 'dragarcia' }, { onConflict: 'username' })
      .select('username')
      .rollback()
    expect(updated.error).toBeNull()
    expect(updated.status).toBe(200)
    const minimal = await h.anon.from('users').upsert({ username: 'dragarcia' }).rollback()
    expect(minimal.status).toBe(200)
    const mixed = await h.anon
      .from('channels')
      .upsert([{ id: 1 }, { slug: 'test-slug' }], { defaultToNull: false })
      .select('id')
      .rollback()
    expect(mixed.status).toBe(201)
    const ignored = await h.anon
      .from('users')
      .upsert({ username: 'dragarcia' }, { onConflict: 'username', ignoreDuplicates: true })
      .select()
      .rollback()
    expect(ignored.status).toBe(201)
    expect(ignored.data).toEqual([])
  })

  it('answers PUT with 201 when it inserts and 200 when it replaces', async () => {
    const replace = await h.request('/cornercase?id=eq.1', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', prefer: 'return=representation, tx=rollback' },
      body: JSON.stringify({ id: 1, 'column whitespace': 'x' }),
    })
    expect(replace.status).toBe(200)
    const insert = await h.request('/cornercase?id=eq.99', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', prefer: 'return=representation, tx=rollback' },
      body: JSON.stringify({ id: 99 }),
    })
    expect(insert.status).toBe(201)
  })

  it('counts a scalar function call: Content-Range 0-0/1', async () => {
    const counted = await h.anon.rpc('get_status', { name_param: 'supabot' }, { count: 'exact' })
    expect(counted.error).toBeNull()
    expect(counted.count).toBe(1)
    expect(counted.data).toBe('ONLINE')
    const head = await h.anon.rpc('get_status', { name_param: 'supabot' }, { head: true, count: 'exact' })
    expect(head.count).toBe(1)
    expect(head.data).toBeNull()
    const get = await h.anon.rpc('get_status', { name_param: 'supabot' }, { get: true, count: 'exact' })
    expect(get.count).toBe(1)
  })

  it('answers DELETE with Content-Range */total', async () => {
    const response = await h.request('/messages?id=eq.4', {
      method: 'DELETE',
      headers: { prefer: 'count=exact, tx=rollback' },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('content-range')).toBe('*/1')
  })
})

describe('overloads and unnamed parameters', () => {
  it('answers 300 PGRST203 for overloads that defaults make ambiguous, listing the candidates', async () => {
    const { error, status } = await h.anon.rpc('polymorphic_function_with_unnamed_default')
    expect(status).toBe(300)
    expect(error).toEqual({
      code: 'PGRST203',
      details: null,
      hint: 'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
      message:
        'Could not choose the best candidate function between: public.polymorphic_function_with_unnamed_default(), public.polymorphic_function_with_unnamed_default( => text)',
    })
    const unresolvable = await h.anon.rpc('postgrest_unresolvable_function', { a: 'x' })
    expect(unresolvable.status).toBe(300)
    expect(unresolvable.error?.message).toBe(
      'Could not choose the best candidate function between: public.postgrest_unresolvable_function(a => text), public.postgrest_unresolvable_function(a => integer)',
    )
  })

  it('resolves overloads with defaults by the argument names given', async () => {
    const profile = await h.anon.rpc('postgrest_resolvable_with_override_function', { profile_id: 1 })
    expect(profile.data).toEqual([{ id: 1, username: 'supabot' }])
    const messages = await h.anon.rpc('postgrest_resolvable_with_override_function', {
      cid: 1,
      search: 'Hello World 👋',
    })
    expect(messages.data).toEqual([
      { id: 1, data: null, message: 'Hello World 👋', username: 'supabot', channel_id: 1 },
    ])
    const none = await h.anon.rpc('postgrest_resolvable_with_override_function')
    expect(none.error).toBeNull()
    expect(none.status).toBe(204)
  })

  it('passes a {"": value} body to the function with an unnamed parameter', async () => {
    expect((await h.anon.rpc('polymorphic_function_with_unnamed_text', { '': 'test' })).data).toBe(1)
    expect((await h.anon.rpc('polymorphic_function_with_unnamed_json', { '': { test: 'value' } })).data).toBe(
      1,
    )
    expect(
      (await h.anon.rpc('polymorphic_function_with_unnamed_jsonb', { '': { test: 'value' } })).data,
    ).toBe(1)
    expect((await h.anon.rpc('polymorphic_function_with_different_return', { '': 'test' })).data).toBe('foo')
    expect((await h.anon.rpc('polymorphic_function_with_no_params_or_unnamed', { '': true })).data).toBe(
      'foo',
    )
    expect((await h.anon.rpc('polymorphic_function_with_no_params_or_unnamed')).data).toBe(1)
    expect((await h.anon.rpc('polymorphic_function_with_unnamed_default', { '': 123 })).data).toBe('foo')
  })

  it('hides functions whose unnamed parameter cannot be passed a body (PGRST202)', async () => {
    const { error, status } = await h.anon.rpc('polymorphic_function_with_unnamed_integer', { '': 1 })
    expect(status).toBe(404)
    expect(error).toEqual({
      code: 'PGRST202',
      details:
        'Searched for the function public.polymorphic_function_with_unnamed_integer with parameter  or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.',
      hint: 'Perhaps you meant to call the function public.polymorphic_function_with_unnamed_text',
      message:
        'Could not find the function public.polymorphic_function_with_unnamed_integer() in the schema cache',
    })
  })

  it('passes raw text/plain, text/xml and application/octet-stream bodies to an unnamed parameter', async () => {
    const text = await h.request('/rpc/polymorphic_function_with_unnamed_text', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'plain words',
    })
    expect(await text.json()).toBe(1)
    const xml = await h.request('/rpc/xml_root', {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: '<greeting>hi</greeting>',
    })
    expect(await xml.json()).toBe('greeting')
    const bytes = await h.request('/rpc/bytes_length', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array([0, 255, 1, 128, 7]),
    })
    expect(bytes.status).toBe(200)
    expect(await bytes.json()).toBe(5)
  })

  it('calls a variadic function with an array body', async () => {
    const { data, error } = await h.anon.rpc('join_words', { words: ['one', 'two'] })
    expect(error).toBeNull()
    expect(data).toBe('one two')
  })
})

describe('messages and hints as PostgREST 14 words them', () => {
  it('words PGRST116 as "Cannot coerce the result to a single JSON object"', async () => {
    const { error, status } = await h.anon.from('users').select().single()
    expect(status).toBe(406)
    expect(error).toEqual({
      code: 'PGRST116',
      details: 'The result contains 5 rows',
      hint: null,
      message: 'Cannot coerce the result to a single JSON object',
    })
  })

  it('words PGRST202 for a call without arguments, with no hint where PostgREST has none', async () => {
    const { error, status } = await h.anon.rpc('get_status')
    expect(status).toBe(404)
    expect(error).toEqual({
      code: 'PGRST202',
      details:
        'Searched for the function public.get_status without parameters or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.',
      hint: null,
      message: 'Could not find the function public.get_status without parameters in the schema cache',
    })
  })

  it('answers PGRST205 with null details and hint for an unknown table', async () => {
    const { error } = await h.anon.from('missing_table').select()
    expect(error).toEqual({
      code: 'PGRST205',
      details: null,
      hint: null,
      message: "Could not find the table 'public.missing_table' in the schema cache",
    })
  })

  it('answers PGRST106 naming the schema and the exposed ones', async () => {
    const { error, status } = await h.anon.schema('nope').from('users').select()
    expect(status).toBe(406)
    expect(error).toEqual({
      code: 'PGRST106',
      details: null,
      hint: 'Only the following schemas are exposed: public, personal',
      message: 'Invalid schema: nope',
    })
  })

  it('answers PGRST200 with a did-you-mean hint', async () => {
    const { error, status } = await h.anon.from('messages').select('id, chanels(slug)')
    expect(status).toBe(400)
    expect(error).toEqual({
      code: 'PGRST200',
      details:
        "Searched for a foreign key relationship between 'messages' and 'chanels' in the schema 'public', but no matches were found.",
      hint: "Perhaps you meant 'channels' instead of 'chanels'.",
      message: "Could not find a relationship between 'messages' and 'chanels' in the schema cache",
    })
  })
})
