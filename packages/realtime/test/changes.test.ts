import { createJwtAuthenticator } from '@groundwork/core'
import { createTestDatabase, signTestToken, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRealtime, type Realtime } from '../src/index'
import { ALICE, BOB, createTodoSchema, openStream, serve } from './helpers'

let test: TestDatabase
let realtime: Realtime
let server: Awaited<ReturnType<typeof serve>>
let psql: pg.Client
let alice: string
let bob: string
let service: string

beforeAll(async () => {
  test = await createTestDatabase()
  await createTodoSchema(test.db)
  await test.db.query(`insert into public.members values (1, $1), (2, $2)`, [ALICE, BOB])
  realtime = createRealtime({
    db: test.db,
    authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
    basePath: '/realtime/v1',
  })
  await realtime.start()
  server = await serve(realtime.handler)
  // Writes come from a separate, psql-like connection: not through any Groundwork API.
  psql = new pg.Client({ connectionString: test.url })
  await psql.connect()
  alice = await signTestToken({ role: 'authenticated', sub: ALICE })
  bob = await signTestToken({ role: 'authenticated', sub: BOB })
  service = await signTestToken({ role: 'service_role' })
})

afterAll(async () => {
  await server?.close()
  await realtime?.close()
  await psql?.end()
  await test?.drop()
})

const streamUrl = (query: string) => `${server.url}/realtime/v1/stream?${query}`
const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

describe('change stream', () => {
  it('delivers INSERT, UPDATE and DELETE made on another connection, in the contract format', async () => {
    const stream = await openStream(streamUrl('schema=public&table=todos&event=*'), auth(service))
    expect(stream.response.status).toBe(200)
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    await stream.until((events) => events.some((e) => e.event === 'ready'))

    const { rows } = await psql.query<{ id: string }>(
      `insert into todos (list_id, title) values (1, 'buy milk') returning id`,
    )
    const id = Number(rows[0]?.id)
    await stream.until(() => stream.changes().length >= 1)
    await psql.query(`update todos set done = true where id = $1`, [id])
    await stream.until(() => stream.changes().length >= 2)
    await psql.query(`delete from todos where id = $1`, [id])

    const events = await stream.until(() => stream.changes().length >= 3)
    const changes = stream.changes()
    expect(changes.map((e) => e.event)).toEqual(['INSERT', 'UPDATE', 'DELETE'])
    const [insert, update, del] = changes
    expect(insert?.data).toMatchObject({
      schema: 'public',
      table: 'todos',
      type: 'INSERT',
      record: { id, list_id: 1, title: 'buy milk', done: false },
      old_record: null,
    })
    expect(typeof (insert?.data as { commit_timestamp?: string } | undefined)?.commit_timestamp).toBe(
      'string',
    )
    expect(update?.data).toMatchObject({ type: 'UPDATE', record: { id, done: true }, old_record: { id } })
    expect(del?.data).toMatchObject({ type: 'DELETE', record: null, old_record: { id } })
    // ids are the change-log ids, increasing
    const ids = changes.map((e) => Number(e.id))
    expect(ids[0]).toBeGreaterThan(0)
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
    expect(events.some((e) => e.event === 'ready')).toBe(true)
    await stream.close()
  })

  it('answers the stream with a retry hint and keeps idle streams alive with heartbeat comments', async () => {
    const rt = createRealtime({
      db: test.db,
      authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
      heartbeatMs: 50,
      retryMs: 1234,
    })
    await rt.start()
    const local = await serve(rt.handler)
    try {
      const response = await fetch(`${local.url}/stream?table=todos`, auth(service))
      const reader = (response.body as ReadableStream<Uint8Array>).getReader()
      let text = ''
      const deadline = Date.now() + 5000
      while (!text.includes(': heartbeat') && Date.now() < deadline) {
        const { value } = await reader.read()
        text += new TextDecoder().decode(value)
      }
      expect(text).toContain('retry: 1234')
      expect(text).toContain(': heartbeat')
      await reader.cancel()
    } finally {
      await local.close()
      await rt.close()
    }
  })

  it('applies filters (eq, in, gt, is) and event types', async () => {
    const byList = await openStream(streamUrl('table=todos&filter=list_id=eq.2'), auth(service))
    const inserts = await openStream(
      streamUrl('table=todos&event=INSERT&filter=priority=gt.5'),
      auth(service),
    )
    const several = await openStream(
      streamUrl('table=todos&filter=list_id=in.(2,3),done=is.false'),
      auth(service),
    )
    for (const s of [byList, inserts, several]) await s.until((e) => e.some((x) => x.event === 'ready'))

    await psql.query(
      `insert into todos (list_id, title, priority) values (1, 'a', 9), (2, 'b', 1), (3, 'c', 7)`,
    )
    await psql.query(`update todos set done = true where title = 'b'`)
    await psql.query(`insert into todos (list_id, title) values (3, 'last')`)

    await byList.until(() => byList.changes().length >= 2)
    await inserts.until(() => inserts.changes().length >= 2)
    await several.until(() =>
      several.changes().some((e) => (e.data as { record: { title: string } }).record?.title === 'last'),
    )

    expect(
      byList.changes().map((e) => [e.event, (e.data as { record: { title: string } }).record.title]),
    ).toEqual([
      ['INSERT', 'b'],
      ['UPDATE', 'b'],
    ])
    expect(inserts.changes().map((e) => (e.data as { record: { title: string } }).record.title)).toEqual([
      'a',
      'c',
    ])
    // list 2 or 3 and not done: the update of 'b' to done=true does not match
    expect(
      several.changes().map((e) => [e.event, (e.data as { record: { title: string } }).record.title]),
    ).toEqual([
      ['INSERT', 'b'],
      ['INSERT', 'c'],
      ['INSERT', 'last'],
    ])
    for (const s of [byList, inserts, several]) await s.close()
  })

  it('rejects bad filters, unknown columns, unpublished tables and missing credentials in JSON', async () => {
    const bad = await fetch(streamUrl('table=todos&filter=list_id=like.5'), auth(service))
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ code: 'REALTIME_INVALID_FILTER' })
    const column = await fetch(streamUrl('table=todos&filter=nope=eq.5'), auth(service))
    expect(column.status).toBe(400)
    expect(await column.json()).toMatchObject({ code: 'REALTIME_UNKNOWN_COLUMN' })
    const unpublished = await fetch(streamUrl('table=lists'), auth(service))
    expect(unpublished.status).toBe(404)
    expect(await unpublished.json()).toMatchObject({ code: 'REALTIME_TABLE_NOT_PUBLISHED' })
    const invalidToken = await fetch(streamUrl('table=todos'), auth('not-a-jwt'))
    expect(invalidToken.status).toBe(401)
    const anon = await fetch(streamUrl('table=todos'))
    expect(anon.status).toBe(403)
    expect(await anon.json()).toMatchObject({ code: 'REALTIME_FORBIDDEN' })
  })

  it('accepts a short-lived token in the query string and refuses a long-lived one', async () => {
    const short = await signTestToken({ role: 'authenticated', sub: ALICE }, { expiresIn: '5m' })
    const ok = await openStream(streamUrl(`table=todos&token=${short}`))
    expect(ok.response.status).toBe(200)
    await ok.close()
    const long = await signTestToken({ role: 'authenticated', sub: ALICE }, { expiresIn: '30d' })
    const refused = await fetch(streamUrl(`table=todos&token=${long}`))
    expect(refused.status).toBe(401)
    expect(await refused.json()).toMatchObject({ code: 'REALTIME_TOKEN_TOO_LONG_LIVED' })
  })

  it('ends a stream with its resume point when its token expires', async () => {
    const token = await signTestToken({ role: 'authenticated', sub: ALICE }, { expiresIn: '2s' })
    const stream = await openStream(streamUrl('table=todos'), auth(token))
    await stream.done
    const last = stream.events.at(-1)
    expect(last?.event).toBe('disconnect')
    expect(last?.data).toMatchObject({ reason: 'token_expired' })
  })
})

describe('visibility by RLS', () => {
  it('delivers a change only to members of its list; grant and revoke apply from the next change', async () => {
    const a = await openStream(streamUrl('table=todos'), auth(alice))
    const b = await openStream(streamUrl('table=todos'), auth(bob))
    await a.until((e) => e.some((x) => x.event === 'ready'))
    await b.until((e) => e.some((x) => x.event === 'ready'))
    const title = (e: { data: unknown }) => (e.data as { record: { title: string } | null }).record?.title

    await psql.query(`insert into todos (list_id, title) values (1, 'for alice'), (2, 'for bob')`)
    await a.until(() => a.changes().some((e) => title(e) === 'for alice'))
    await b.until(() => b.changes().some((e) => title(e) === 'for bob'))

    // grant: bob joins list 1, from the next change on he sees it
    await psql.query(`insert into members values (1, $1)`, [BOB])
    await psql.query(`insert into todos (list_id, title) values (1, 'after grant')`)
    await b.until(() => b.changes().some((e) => title(e) === 'after grant'))
    // revoke: alice leaves list 1
    await psql.query(`delete from members where list_id = 1 and user_id = $1`, [ALICE])
    await psql.query(`insert into todos (list_id, title) values (1, 'after revoke')`)
    await b.until(() => b.changes().some((e) => title(e) === 'after revoke'))
    await psql.query(`insert into todos (list_id, title) values (2, 'marker')`)
    await b.until(() => b.changes().some((e) => title(e) === 'marker'))
    // alice reads list 1 again, to flush anything pending towards her
    await psql.query(`insert into members values (3, $1)`, [ALICE])
    await psql.query(`insert into todos (list_id, title) values (3, 'alice marker')`)
    await a.until(() => a.changes().some((e) => title(e) === 'alice marker'))

    const aliceTitles = a
      .changes()
      .filter((e) => e.event === 'INSERT')
      .map(title)
    const bobTitles = b
      .changes()
      .filter((e) => e.event === 'INSERT')
      .map(title)
    expect(aliceTitles).toEqual(['for alice', 'after grant', 'alice marker'])
    expect(bobTitles).toEqual(['for bob', 'after grant', 'after revoke', 'marker'])
    await psql.query(`insert into members values (1, $1)`, [ALICE])
    await a.close()
    await b.close()
  })

  it('sends DELETE with only the primary key of the removed row', async () => {
    const a = await openStream(streamUrl('table=todos&event=DELETE'), auth(alice))
    await a.until((e) => e.some((x) => x.event === 'ready'))
    const { rows } = await psql.query<{ id: string }>(
      `insert into todos (list_id, title) values (1, 'secret of list one') returning id`,
    )
    await psql.query(`delete from todos where id = $1`, [rows[0]?.id])
    await a.until(() => a.changes().length >= 1)
    expect(a.changes()[0]?.data).toEqual({
      schema: 'public',
      table: 'todos',
      type: 'DELETE',
      record: null,
      old_record: { id: Number(rows[0]?.id) },
      commit_timestamp: expect.any(String),
    })
    await a.close()
  })

  it('subscribes to several tables on one connection', async () => {
    await psql.query(`
      create table public.notes (id int primary key, body text);
      grant select on public.notes to authenticated, service_role;
      select realtime.enable('public.notes');
    `)
    const subscriptions = encodeURIComponent(
      JSON.stringify([
        { table: 'todos', event: 'INSERT', filter: 'list_id=eq.1' },
        { schema: 'public', table: 'notes' },
      ]),
    )
    const s = await openStream(streamUrl(`subscriptions=${subscriptions}`), auth(alice))
    await s.until((e) => e.some((x) => x.event === 'ready'))
    await psql.query(`insert into notes values (1, 'hello')`)
    await psql.query(`insert into todos (list_id, title) values (1, 'multi'), (2, 'not mine')`)
    await s.until(() => s.changes().length >= 2)
    expect(s.changes().map((e) => (e.data as { table: string }).table)).toEqual(['notes', 'todos'])
    await s.close()
  })

  it('captures whole rows of a table whose columns are named n and o', async () => {
    await psql.query(`
      create table public.pairs (n int primary key, o text not null);
      grant select on public.pairs to service_role;
      select realtime.enable('public.pairs');
    `)
    const s = await openStream(streamUrl('table=pairs'), auth(service))
    await s.until((e) => e.some((x) => x.event === 'ready'))
    await psql.query(`insert into pairs values (1, 'one')`)
    await psql.query(`update pairs set o = 'uno' where n = 1`)
    await psql.query(`delete from pairs where n = 1`)
    await s.until(() => s.changes().length >= 3)
    expect(s.changes().map((e) => [e.event, (e.data as { record: unknown }).record])).toEqual([
      ['INSERT', { n: 1, o: 'one' }],
      ['UPDATE', { n: 1, o: 'uno' }],
      ['DELETE', null],
    ])
    await s.close()
  })

  it('captures a 10k-row UPDATE as one statement batch with a single NOTIFY', async () => {
    // Small UPDATEs first: the capture must not reuse a plan made for them on 10k rows.
    for (let i = 0; i < 6; i++)
      await psql.query(`update todos set done = not done where id = (select min(id) from todos)`)
    await psql.query(
      `insert into todos (list_id, title) select 3, 'bulk ' || g from generate_series(1, 10000) g`,
    )
    const listener = new pg.Client({ connectionString: test.url })
    await listener.connect()
    const notifications: string[] = []
    listener.on('notification', (n) => notifications.push(n.payload ?? ''))
    await listener.query('listen realtime_changes')
    const s = await openStream(streamUrl('table=todos&event=UPDATE&filter=list_id=eq.3'), auth(service))
    await s.until((e) => e.some((x) => x.event === 'ready'))
    await psql.query(`update todos set done = true where list_id = 3 and title like 'bulk %'`)
    await s.until(() => s.changes().length >= 10000, 30_000)
    expect(notifications).toHaveLength(1)
    const ids = s.changes().map((e) => Number(e.id))
    expect(Number(notifications[0])).toBe(Math.max(...ids))
    await listener.end()
    await s.close()
  })
})
