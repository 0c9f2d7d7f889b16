/**
 * Every builder method of the real `@supabase/postgrest-js`, against the Supabase-style schema it
 * is tested with (fixtures/supabase-app.sql: users, profiles, channels, messages, a view over users,
 * functions returning TABLE / SETOF / OUT parameters, overloads with defaults, a second schema),
 * with PostgREST 14's settings of that suite: aggregates, plans and `tx` overrides enabled.
 * Writes roll themselves back (`.rollback()`) so every test sees the seed.
 *
 * @see https://supabase.com/docs/reference/javascript/select
 * @see https://docs.postgrest.org/en/v14/references/api.html
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

const users = () => h.anon.from('users')
/** Usernames a filtered users query returns, sorted. */
async function names(query: PromiseLike<{ data: unknown; error: unknown }>): Promise<string[]> {
  const { data, error } = await query
  expect(error).toBeNull()
  return ((data ?? []) as Array<{ username: string }>).map((u) => u.username).sort()
}

describe('from().select()', () => {
  it('selects rows, columns, aliases, casts and JSON paths', async () => {
    const all = await users().select().order('username')
    expect(all.status).toBe(200)
    expect(all.data?.[0]).toEqual({
      username: 'awailas',
      data: null,
      age_range: '[25,35)',
      status: 'ONLINE',
      catchphrase: "'bat' 'rat'",
    })
    const shaped = await users()
      .select('name:username, range:age_range::text, foo:data->>foo, bar:data->fooRecord->bar->nested')
      .eq('username', 'jsonuser')
    expect(shaped.data).toEqual([{ name: 'jsonuser', range: '[20,30)', foo: 'string value', bar: 'value' }])
  })

  it('selects a view, a quoted column, a computed field and the second schema', async () => {
    expect((await h.anon.from('updatable_view').select('username').eq('username', 'supabot')).data).toEqual([
      { username: 'supabot' },
    ])
    expect((await h.anon.from('cornercase').select('"column whitespace", id').eq('id', 1)).data).toEqual([
      { 'column whitespace': null, id: 1 },
    ])
    expect((await h.anon.from('messages').select('id, blurb_message').eq('id', 1)).data).toEqual([
      { id: 1, blurb_message: 'Hel' },
    ])
    const personal = await h.anon.schema('personal').from('users').select('username').order('username')
    expect(personal.data?.map((u) => u.username)).toContain('leroyjenkins')
    // A partitioned table is one resource; its partitions are not resources of their own.
    expect((await h.anon.from('events').select('event_type').order('created_at')).data).toEqual([
      { event_type: 'login' },
      { event_type: 'logout' },
    ])
    expect((await h.anon.from('events_2024').select()).error?.code).toBe('PGRST205')
  })

  it('answers reads with Content-Location: the relation and its query string, keys sorted', async () => {
    const response = await h.request('/users?select=username&order=username&limit=1')
    expect(response.headers.get('content-location')).toBe('/users?limit=1&order=username&select=username')
  })

  it('counts exact, planned and estimated, with and without head', async () => {
    const exact = await users().select('username', { count: 'exact' })
    expect(exact.count).toBe(5)
    const head = await users().select('*', { count: 'exact', head: true })
    expect(head).toMatchObject({ count: 5, data: null, status: 200 })
    const planned = await users().select('*', { count: 'planned', head: true })
    expect(typeof planned.count).toBe('number')
    const estimated = await users().select('*', { count: 'estimated', head: true })
    expect(estimated.count).toBe(5)
    const noCount = await users().select('*', { head: true })
    expect(noCount).toMatchObject({ count: null, data: null, status: 200 })
  })
})

describe('embedding, spreads and aggregates', () => {
  it('embeds many-to-one, one-to-many, one-to-one and many-to-many', async () => {
    const message = await h.anon
      .from('messages')
      .select('id, users(username), channels(slug)')
      .eq('id', 1)
      .single()
    expect(message.data).toEqual({ id: 1, users: { username: 'supabot' }, channels: { slug: 'public' } })
    const channel = await h.anon
      .from('channels')
      .select('slug, channel_details(details), messages(id)')
      .eq('id', 3)
    expect(channel.data).toEqual([{ slug: 'other', channel_details: null, messages: [{ id: 3 }, { id: 4 }] }])
    const product = await h.anon.from('products').select('name, categories(name)').eq('id', 3).single()
    expect(product.data).toEqual({
      name: 'Headphones',
      categories: [{ name: 'Electronics' }, { name: 'Audio' }],
    })
  })

  it('embeds with hints, self-references and computed relationships', async () => {
    const friends = await h.anon
      .from('best_friends')
      .select(
        'id, first_user:users!first_user(username), second_user:users!best_friends_second_user_fkey(username)',
      )
      .eq('id', 1)
      .single()
    expect(friends.data).toEqual({
      id: 1,
      first_user: { username: 'supabot' },
      second_user: { username: 'kiwicopple' },
    })
    const tree = await h.anon
      .from('collections')
      .select('description, parent:parent_id(description), children:collections(description)')
      .eq('id', 2)
      .single()
    expect(tree.data).toEqual({
      description: 'Child of Root',
      parent: { description: 'Root Collection' },
      children: [{ description: 'Grandchild' }, { description: 'Sibling of Grandchild' }],
    })
    const computed = await users()
      .select('username, get_user_profile(id), get_messages(id)')
      .eq('username', 'supabot')
    expect(computed.data).toEqual([
      {
        username: 'supabot',
        get_user_profile: { id: 1 },
        get_messages: [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }],
      },
    ])
  })

  it('filters, orders and limits embeds, and filters parents by them', async () => {
    const { data } = await h.anon
      .from('channels')
      .select('id, messages(id)')
      .order('id', { referencedTable: 'messages', ascending: false })
      .limit(1, { referencedTable: 'messages' })
      .eq('id', 3)
    expect(data).toEqual([{ id: 3, messages: [{ id: 4 }] }])
    const inner = await h.anon.from('hotel').select('name, booking!inner(id)').eq('booking.id', 3)
    expect(inner.data).toEqual([{ name: 'Mountain View Hotel', booking: [{ id: 3 }] }])
    const orphans = await h.anon.from('booking').select('id, hotel()').is('hotel', null).order('id')
    expect(orphans.data).toEqual([{ id: 4 }, { id: 7 }])
    const ordered = await h.anon
      .from('messages')
      .select('id, channels(slug)')
      .order('channels(slug)', { ascending: false })
      .order('id')
    expect(ordered.data?.map((m) => m.id)).toEqual([2, 1, 3, 4])
  })

  it('spreads to-one embeds, and to-many embeds into arrays', async () => {
    const toOne = await h.anon.from('messages').select('id, ...channels(slug)').eq('id', 2).single()
    expect(toOne.data).toEqual({ id: 2, slug: 'random' })
    const toMany = await h.anon.from('channels').select('slug, ...messages(ids:id)').eq('id', 3).single()
    expect(toMany.data).toEqual({ slug: 'other', ids: [3, 4] })
    const nested = await h.anon
      .from('messages')
      .select('id, channels(id, ...channel_details(details_id:id, details))')
      .eq('id', 1)
      .single()
    expect(nested.data).toEqual({
      id: 1,
      channels: { id: 1, details_id: 1, details: 'Details for public channel' },
    })
  })

  it('aggregates: count(), col.sum()/avg()/min()/max() with casts, grouped, and through spreads', async () => {
    const grouped = await h.anon.from('messages').select('channel_id, count()').order('channel_id')
    expect(grouped.data).toEqual([
      { channel_id: 1, count: 1 },
      { channel_id: 2, count: 1 },
      { channel_id: 3, count: 2 },
    ])
    const stats = await h.anon
      .from('products')
      .select('price.sum(), price.avg()::int, price.min(), price.max()')
    expect(stats.data).toEqual([{ sum: 1899.97, avg: 633, min: 199.99, max: 999.99 }])
    const embedded = await users().select('username, messages(count)').eq('username', 'supabot')
    expect(embedded.data).toEqual([{ username: 'supabot', messages: [{ count: 4 }] }])
    const spread = await users()
      .select('username, messages(channels(count(), ...channel_details(details)))')
      .eq('username', 'supabot')
      .single()
    expect(spread.data?.messages).toEqual([
      { channels: { count: 1, details: 'Details for public channel' } },
      { channels: { count: 1, details: 'Details for random channel' } },
      { channels: { count: 1, details: null } },
      { channels: { count: 1, details: null } },
    ])
    // A to-one spread's aggregate is applied by its parent (PostgREST "hoists" it).
    const hoisted = await h.anon.from('messages').select('username, ...channels(channel_count:id.count())')
    expect(hoisted.data).toEqual([{ username: 'supabot', channel_count: 4 }])
    const refused = await h.anon.from('channels').select('slug, ...messages(id.count())')
    expect(refused.error?.code).toBe('PGRST127')
  })
})

describe('filters', () => {
  it('eq, neq, gt, gte, lt, lte, in, notIn, is, isDistinct', async () => {
    expect(await names(users().select('username').eq('status', 'OFFLINE'))).toEqual(['kiwicopple'])
    expect(await names(users().select('username').neq('status', 'ONLINE'))).toEqual(['kiwicopple'])
    expect(await names(h.anon.from('messages').select('id, username').gt('id', 3))).toEqual(['supabot'])
    expect((await h.anon.from('channels').select('id').gte('id', 2).lt('id', 3)).data).toEqual([{ id: 2 }])
    expect((await h.anon.from('channels').select('id').lte('id', 1)).data).toEqual([{ id: 1 }])
    expect(await names(users().select('username').in('username', ['supabot', 'awailas', 'x']))).toEqual([
      'awailas',
      'supabot',
    ])
    expect(await names(users().select('username').notIn('status', ['ONLINE']))).toEqual(['kiwicopple'])
    expect(await names(users().select('username').not('data', 'is', null))).toEqual(['jsonuser'])
    expect(await names(users().select('username').is('data', null))).toHaveLength(4)
    expect(await names(users().select('username').isDistinct('status', 'ONLINE'))).toEqual(['kiwicopple'])
  })

  it('like, ilike and their AllOf/AnyOf forms, regexMatch, regexIMatch', async () => {
    expect(await names(users().select('username').like('username', '%bot'))).toEqual(['supabot'])
    expect(await names(users().select('username').ilike('username', 'SUPA%'))).toEqual(['supabot'])
    expect(await names(users().select('username').likeAllOf('username', ['%a%', '%s%']))).toEqual([
      'awailas',
      'supabot',
    ])
    expect(await names(users().select('username').likeAnyOf('username', ['kiwi%', 'json%']))).toEqual([
      'jsonuser',
      'kiwicopple',
    ])
    expect(await names(users().select('username').ilikeAllOf('username', ['%A%', '%G%']))).toEqual([
      'dragarcia',
    ])
    expect(await names(users().select('username').ilikeAnyOf('username', ['DRAG%', 'AWA%']))).toEqual([
      'awailas',
      'dragarcia',
    ])
    expect(await names(users().select('username').regexMatch('username', '^s'))).toEqual(['supabot'])
    expect(await names(users().select('username').regexIMatch('username', '^K'))).toEqual(['kiwicopple'])
  })

  it('contains, containedBy, overlaps and the range operators', async () => {
    expect(await names(users().select('username').contains('data', { foo: 'string value' }))).toEqual([
      'jsonuser',
    ])
    expect((await h.anon.from('cornercase').select('id').contains('array_column', ['test'])).data).toEqual([
      { id: 1 },
    ])
    expect(
      (await h.anon.from('cornercase').select('id').containedBy('array_column', ['test', 'one', 'test2']))
        .data,
    ).toEqual([{ id: 1 }, { id: 3 }])
    expect(
      (await h.anon.from('cornercase').select('id').overlaps('array_column', ['another', 'x'])).data,
    ).toEqual([{ id: 2 }])
    expect(await names(users().select('username').rangeGt('age_range', '[2,25)'))).toEqual([
      'awailas',
      'kiwicopple',
    ])
    expect(await names(users().select('username').rangeGte('age_range', '[25,30)'))).toEqual([
      'awailas',
      'kiwicopple',
    ])
    expect(await names(users().select('username').rangeLt('age_range', '[2,3)'))).toEqual(['supabot'])
    expect(await names(users().select('username').rangeLte('age_range', '[1,2)'))).toEqual(['supabot'])
    expect(await names(users().select('username').rangeAdjacent('age_range', '[2,25)'))).toEqual([
      'awailas',
      'kiwicopple',
      'supabot',
    ])
    expect(await names(users().select('username').overlaps('age_range', '[30,40)'))).toEqual([
      'awailas',
      'kiwicopple',
    ])
  })

  it('textSearch (plain, phrase, websearch, config), match, not, or, filter', async () => {
    expect(await names(users().select('username').textSearch('catchphrase', "'fat' & 'cat'"))).toEqual([
      'supabot',
    ])
    expect(
      await names(
        users().select('username').textSearch('catchphrase', 'cat', { type: 'plain', config: 'english' }),
      ),
    ).toEqual(['kiwicopple', 'supabot'])
    expect(
      await names(users().select('username').textSearch('catchphrase', 'rat fat', { type: 'phrase' })),
    ).toEqual([])
    expect(
      await names(users().select('username').textSearch('catchphrase', 'bat -rat', { type: 'websearch' })),
    ).toEqual(['kiwicopple'])
    expect(
      await names(users().select('username').match({ status: 'ONLINE', username: 'dragarcia' })),
    ).toEqual(['dragarcia'])
    expect(await names(users().select('username').not('status', 'eq', 'ONLINE'))).toEqual(['kiwicopple'])
    expect(await names(users().select('username').or('status.eq.OFFLINE,username.eq.supabot'))).toEqual([
      'kiwicopple',
      'supabot',
    ])
    expect(
      await names(
        users().select('username').or('and(status.eq.ONLINE,username.like.*a*),username.eq.jsonuser'),
      ),
    ).toEqual(['awailas', 'dragarcia', 'jsonuser', 'supabot'])
    expect(await names(users().select('username').filter('username', 'in', '("supabot","x")'))).toEqual([
      'supabot',
    ])
  })
})

describe('transforms', () => {
  it('order, limit, range, single, maybeSingle', async () => {
    const ordered = await users()
      .select('username')
      .order('status')
      .order('username', { ascending: false })
      .limit(2)
    expect(ordered.data).toEqual([{ username: 'supabot' }, { username: 'jsonuser' }])
    const page = await users().select('username', { count: 'exact' }).order('username').range(1, 2)
    expect(page).toMatchObject({
      status: 206,
      count: 5,
      data: [{ username: 'dragarcia' }, { username: 'jsonuser' }],
    })
    const nullsFirst = await users().select('username').order('data', { nullsFirst: true }).limit(1)
    expect(nullsFirst.data?.[0]?.username).not.toBe('jsonuser')
    expect((await users().select('username').eq('username', 'supabot').single()).data).toEqual({
      username: 'supabot',
    })
    expect((await users().select('username').eq('username', 'nobody').maybeSingle()).data).toBeNull()
  })

  it('csv, stripNulls, returns/overrideTypes, setHeader, throwOnError, abortSignal', async () => {
    const csv = await h.anon.from('channels').select('id, slug').order('id').csv()
    expect(csv.data).toBe('id,slug\n1,public\n2,random\n3,other')
    const stripped = await users().select('username, data').eq('username', 'supabot').stripNulls()
    expect(stripped.data).toEqual([{ username: 'supabot' }])
    const typed = await users()
      .select('status')
      .eq('username', 'supabot')
      .single()
      .returns<{ status: string }>()
    expect(typed.data).toEqual({ status: 'ONLINE' })
    const overridden = await users()
      .select('status')
      .eq('username', 'supabot')
      .single()
      .overrideTypes<{ status: 'ONLINE' | 'OFFLINE' }>()
    expect(overridden.data).toEqual({ status: 'ONLINE' })
    const profiled = await users()
      .select('username')
      .setHeader('Accept-Profile', 'personal')
      .eq('username', 'leroyjenkins')
    expect(profiled.data).toEqual([{ username: 'leroyjenkins' }])
    await expect(h.anon.from('missing_table').select().throwOnError()).rejects.toMatchObject({
      code: 'PGRST205',
    })
    const controller = new AbortController()
    controller.abort()
    expect((await users().select().abortSignal(controller.signal)).status).toBe(0)
  })

  it('geojson is not available without PostGIS: 406 PGRST107', async () => {
    const { status, error } = await h.anon.from('users').select().geojson()
    expect(status).toBe(406)
    expect(error?.code).toBe('PGRST107')
  })

  it('explain: text, json with options, for a read, a write and a call', async () => {
    const text = await users().select().explain()
    expect(text.data).toMatch(/Aggregate {2}\(cost=/)
    const json = await users().select().explain({ format: 'json', verbose: true, settings: true })
    expect(json.data).toMatchObject([{ Plan: expect.any(Object), Settings: { search_path: '"public"' } }])
    const analyzed = await users().select().explain({ analyze: true, buffers: true })
    expect(analyzed.data).toMatch(/actual time=/)
    const write = await users().insert({ username: 'explained' }).explain({ analyze: true })
    expect(write.data).toMatch(/Insert on users/)
    expect((await users().select('username').eq('username', 'explained')).data).toEqual([])
    const call = await h.anon
      .rpc('get_username_and_status', { name_param: 'supabot' })
      .select('status')
      .explain()
    expect(call.data).toMatch(/Function Scan|Result/)
  })
})

describe('writes', () => {
  it('insert (one, bulk, with defaults, with count), returning rows', async () => {
    const one = await h.anon
      .from('messages')
      .insert({ message: 'foo', username: 'supabot', channel_id: 1 })
      .select()
      .rollback()
    expect(one.status).toBe(201)
    expect(one.data).toEqual([{ id: 5, data: null, message: 'foo', username: 'supabot', channel_id: 1 }])
    const bulk = await h.anon
      .from('channels')
      .insert([{ id: 100 }, { slug: 'test-slug' }], { defaultToNull: false, count: 'exact' })
      .select('id, slug')
      .rollback()
    expect(bulk).toMatchObject({
      status: 201,
      count: 2,
      data: [{ id: 100, slug: null }, { slug: 'test-slug' }],
    })
    const minimal = await h.anon.from('users').insert({ username: 'quiet' }).rollback()
    expect(minimal).toMatchObject({ status: 201, data: null, error: null })
    const conflict = await h.anon.from('cornercase').insert({ id: 1 }).select()
    expect(conflict.status).toBe(409)
    expect(conflict.error?.code).toBe('23505')
  })

  it('upsert: 200 when it only updates, 201 when it inserts, ignoreDuplicates, onConflict', async () => {
    const updated = await h.anon
      .from('messages')
      .upsert({ id: 3, message: 'foo', username: 'supabot', channel_id: 2 }, { count: 'exact' })
      .select('id, message')
      .rollback()
    expect(updated).toMatchObject({ status: 200, count: 1, data: [{ id: 3, message: 'foo' }] })
    const inserted = await h.anon
      .from('users')
      .upsert({ username: 'newcomer' }, { onConflict: 'username' })
      .select('username')
      .rollback()
    expect(inserted).toMatchObject({ status: 201, data: [{ username: 'newcomer' }] })
    const ignored = await h.anon
      .from('users')
      .upsert({ username: 'dragarcia' }, { onConflict: 'username', ignoreDuplicates: true })
      .select()
      .rollback()
    expect(ignored).toMatchObject({ status: 201, data: [] })
  })

  it('update and delete with filters, count, single and maxAffected', async () => {
    const updated = await h.anon
      .from('messages')
      .update({ channel_id: 2 }, { count: 'exact' })
      .eq('channel_id', 3)
      .select('id, channel_id')
      .rollback()
    expect(updated).toMatchObject({
      status: 200,
      count: 2,
      data: [
        { id: 3, channel_id: 2 },
        { id: 4, channel_id: 2 },
      ],
    })
    const single = await users()
      .update({ status: 'OFFLINE' })
      .eq('username', 'dragarcia')
      .select('status')
      .rollback()
      .single()
    expect(single.data).toEqual({ status: 'OFFLINE' })
    const deleted = await h.anon
      .from('messages')
      .delete({ count: 'exact' })
      .eq('id', 4)
      .select('id')
      .rollback()
    expect(deleted).toMatchObject({ status: 200, count: 1, data: [{ id: 4 }] })
    const limited = await h.anon.from('messages').delete().eq('channel_id', 3).maxAffected(1).rollback()
    expect(limited.status).toBe(400)
    expect(limited.error?.code).toBe('PGRST124')
    expect((await h.anon.from('messages').select('id', { count: 'exact', head: true })).count).toBe(4)
  })
})

describe('rpc', () => {
  it('calls scalar, void, set-returning, TABLE and OUT-parameter functions', async () => {
    expect((await h.anon.rpc('get_status', { name_param: 'supabot' })).data).toBe('ONLINE')
    expect(await h.anon.rpc('void_func')).toMatchObject({ status: 204, data: null, error: null })
    const set = await h.anon
      .rpc('get_messages_by_username', { search_username: 'supabot' })
      .select('id')
      .order('id')
    expect(set.data).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }])
    const table = await h.anon.rpc('get_username_and_status', { name_param: 'kiwicopple' }).select('*')
    expect(table.data).toEqual([{ username: 'kiwicopple', status: 'OFFLINE' }])
    expect((await h.anon.rpc('user_counts')).data).toEqual({ total: 5, online: 4 })
    const row = await h.anon.rpc('function_returning_row').select('username')
    expect(typeof (row.data as { username: string }).username).toBe('string')
  })

  it('.rpc().select() with filters, embeds, order, range, single and count', async () => {
    const { data, count, status } = await h.anon
      .rpc('function_returning_set_of_rows', undefined, { count: 'exact' })
      .select('username, messages(id)')
      .eq('status', 'ONLINE')
      .order('username')
      .range(0, 1)
    expect(status).toBe(206)
    expect(count).toBe(4)
    expect(data).toEqual([
      { username: 'awailas', messages: [] },
      { username: 'dragarcia', messages: [] },
    ])
    const one = await h.anon
      .rpc('get_messages_by_username', { search_username: 'supabot' })
      .select('id')
      .eq('id', 2)
      .single()
    expect(one.data).toEqual({ id: 2 })
  })

  it('GET and HEAD calls, optional and array parameters, counts on scalars', async () => {
    expect((await h.anon.rpc('get_status', { name_param: 'awailas' }, { get: true })).data).toBe('ONLINE')
    expect((await h.anon.rpc('function_with_optional_param', { param: undefined }, { get: true })).data).toBe(
      '',
    )
    expect(
      await h.anon.rpc(
        'function_with_array_param',
        { param: ['00000000-0000-0000-0000-000000000000'] },
        { get: true },
      ),
    ).toMatchObject({ status: 204, error: null })
    const head = await h.anon.rpc('get_status', { name_param: 'supabot' }, { head: true, count: 'exact' })
    expect(head).toMatchObject({ status: 200, count: 1, data: null })
    expect((await h.anon.rpc('echo_bigint_as_text', { bigint_param: '9007199254740993' })).data).toBe(
      '9007199254740993',
    )
  })

  it('second schema, overloads, rollback and maxAffected on calls', async () => {
    expect((await h.anon.schema('personal').rpc('get_status', { name_param: 'kiwicopple' })).data).toBe(
      'OFFLINE',
    )
    expect((await h.anon.rpc('postgrest_resolvable_with_override_function', { a: 'x' })).data).toBe(1)
    expect((await h.anon.rpc('postgrest_resolvable_with_override_function', { b: 1 })).data).toBe('foo')
    expect((await h.anon.rpc('offline_user', { name_param: 'awailas' }).rollback()).data).toBe('OFFLINE')
    expect((await users().select('status').eq('username', 'awailas').single()).data).toEqual({
      status: 'ONLINE',
    })
    const tooMany = await h.anon.rpc('set_users_offline', { name_param: '%' }).maxAffected(2)
    expect(tooMany.error?.code).toBe('PGRST124')
    expect((await users().select('*', { count: 'exact', head: true }).eq('status', 'OFFLINE')).count).toBe(1)
  })
})
