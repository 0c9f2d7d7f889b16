/**
 * Visibility is decided on the logged version of each change — the new row for INSERT/UPDATE, the
 * removed row for DELETE — by the table's policies, as the subscriber: the attacks of the
 * "black-box attack on the demo" issue (hidden DELETEs, filter binary search on deleted rows,
 * rename-then-publish replay) deliver nothing the subscriber could not have read.
 */
import { createJwtAuthenticator } from '@groundwork/core'
import { createTestDatabase, signTestToken, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRealtime, type Realtime } from '../src/index'
import { ALICE, BOB, createTodoSchema, openStream, type SseEvent, serve } from './helpers'

let test: TestDatabase
let realtime: Realtime
let server: Awaited<ReturnType<typeof serve>>
let psql: pg.Client
let alice: string
let anon: string

beforeAll(async () => {
  test = await createTestDatabase()
  await createTodoSchema(test.db)
  await test.db.query(`insert into public.members values (1, $1), (2, $2)`, [ALICE, BOB])
  await test.db.query(`
    -- Accounts: each user reads their own; authenticated may not read the balance column.
    create table public.accounts (id int primary key, owner uuid not null, name text not null, balance int not null);
    alter table public.accounts enable row level security;
    grant select (id, owner, name) on public.accounts to authenticated;
    create policy own on public.accounts for select to authenticated using (owner = auth.uid());
    select realtime.enable('public.accounts');
    -- Notes: readable by anyone once published.
    create table public.notes (id int primary key, published boolean not null, title text not null);
    alter table public.notes enable row level security;
    grant select on public.notes to anon, authenticated;
    create policy published on public.notes for select using (published);
    select realtime.enable('public.notes');
  `)
  realtime = createRealtime({
    db: test.db,
    authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
  })
  await realtime.start()
  server = await serve(realtime.handler)
  psql = new pg.Client({ connectionString: test.url })
  await psql.connect()
  alice = await signTestToken({ role: 'authenticated', sub: ALICE })
  anon = await signTestToken({ role: 'anon' })
})

afterAll(async () => {
  await server?.close()
  await realtime?.close()
  await psql?.end()
  await test?.drop()
})

const stream = (query: string, token: string, headers: Record<string, string> = {}) =>
  openStream(`${server.url}/stream?${query}`, { headers: { authorization: `Bearer ${token}`, ...headers } })
const ready = (events: SseEvent[]) => events.some((e) => e.event === 'ready')
const readyId = (events: SseEvent[]) => events.find((e) => e.event === 'ready')?.id as string

describe('DELETE', () => {
  it('is not sent to a subscriber who could not read the removed row, live or on replay', async () => {
    const live = await stream('table=todos&event=DELETE', alice)
    await live.until(ready)
    const { rows } = await psql.query<{ id: string; list_id: number }>(
      `insert into todos (list_id, title) values (2, 'of list two'), (1, 'of list one') returning id, list_id`,
    )
    const hidden = Number(rows.find((r) => r.list_id === 2)?.id)
    const own = Number(rows.find((r) => r.list_id === 1)?.id)
    // The hidden row goes first: had it leaked, it would arrive before alice's own.
    await psql.query(`delete from todos where id = $1`, [hidden])
    await psql.query(`delete from todos where id = $1`, [own])
    await live.until(() => live.changes().length >= 1)
    expect(live.changes().map((e) => (e.data as { old_record: unknown }).old_record)).toEqual([{ id: own }])

    const replay = await stream('table=todos&event=DELETE', alice, { 'last-event-id': readyId(live.events) })
    await replay.until((events) => events.some((e) => e.event === 'replayed'))
    expect(replay.changes().map((e) => (e.data as { old_record: unknown }).old_record)).toEqual([{ id: own }])
    await live.close()
    await replay.close()
  })
})

describe('filters', () => {
  it('refuses a filter on a column the subscriber cannot read, and filters a visible deleted row', async () => {
    const refused = await fetch(`${server.url}/stream?table=accounts&filter=balance=lt.1000`, {
      headers: { authorization: `Bearer ${alice}` },
    })
    expect(refused.status).toBe(403)
    expect(await refused.json()).toMatchObject({ code: 'REALTIME_FORBIDDEN', message: expect.any(String) })

    const s = await stream('table=accounts&event=DELETE&filter=name=eq.savings', alice)
    await s.until(ready)
    await psql.query(
      `insert into accounts values (1, $1, 'savings', 900), (2, $2, 'savings', 100), (3, $2, 'checking', 5)`,
      [BOB, ALICE],
    )
    await psql.query('delete from accounts where id = 1') // bob's: not alice's to read
    await psql.query('delete from accounts where id = 3') // alice's, but the filter does not match
    await psql.query('delete from accounts where id = 2') // alice's savings
    await s.until(() => s.changes().length >= 1)
    expect(s.changes().map((e) => e.data)).toEqual([
      expect.objectContaining({ type: 'DELETE', record: null, old_record: { id: 2 } }),
    ])
    await s.close()
  })

  it('sends only the columns the subscriber may SELECT', async () => {
    const s = await stream('table=accounts&event=INSERT', alice)
    await s.until(ready)
    await psql.query(`insert into accounts values (10, $1, 'pension', 123456)`, [ALICE])
    await s.until(() => s.changes().length >= 1)
    expect((s.changes()[0]?.data as { record: unknown } | undefined)?.record).toEqual({
      id: 10,
      owner: ALICE,
      name: 'pension',
    })
    await s.close()
  })
})

describe('replay', () => {
  it('delivers nothing private to anon after the rename-then-publish attack', async () => {
    const live = await stream('table=notes', anon)
    await live.until(ready)
    const from = readyId(live.events)
    await psql.query(`insert into notes values (1, false, 'private draft: layoffs in march')`)
    await psql.query(`update notes set title = 'private draft: still secret' where id = 1`)
    await psql.query(`update notes set published = true, title = 'Spring update' where id = 1`)
    await live.until(() => live.changes().length >= 1)

    const replay = await stream('table=notes', anon, { 'last-event-id': from })
    await replay.until((events) => events.some((e) => e.event === 'replayed'))
    for (const received of [live.changes(), replay.changes()]) {
      expect(received.map((e) => [e.event, (e.data as { record: unknown }).record])).toEqual([
        ['UPDATE', { id: 1, published: true, title: 'Spring update' }],
      ])
      expect(JSON.stringify(received)).not.toContain('private')
    }
    await live.close()
    await replay.close()
  })
})
