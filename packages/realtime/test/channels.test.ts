import { createJwtAuthenticator } from '@groundwork/core'
import { createTestDatabase, signTestToken, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRealtime } from '../src/index'
import { ALICE, BOB, openStream, serve } from './helpers'

let test: TestDatabase
const authenticate = createJwtAuthenticator({ secret: TEST_JWT_SECRET })
const CAROL = '33333333-3333-4333-8333-333333333333'
let tokens: Record<'alice' | 'bob' | 'carol', string>

async function startInstance() {
  const realtime = createRealtime({
    db: test.db,
    authenticate,
    instanceHeartbeatMs: 100,
    instanceStaleMs: 1000,
  })
  await realtime.start()
  const server = await serve(realtime.handler)
  return {
    realtime,
    server,
    async stop() {
      await server.close()
      await realtime.close()
    },
  }
}

beforeAll(async () => {
  test = await createTestDatabase()
  // Supabase's model: rooms with members; members may receive (SELECT) and send / track (INSERT).
  await test.db.query(`
    create table public.room_members (room text, user_id uuid, primary key (room, user_id));
    grant select on public.room_members to authenticated;
    insert into public.room_members values ('room:1', '${ALICE}'), ('room:1', '${BOB}');
    create policy members_receive on realtime.messages for select to authenticated using (
      exists (select 1 from public.room_members m where m.room = realtime.topic() and m.user_id = auth.uid())
    );
    create policy members_send on realtime.messages for insert to authenticated with check (
      exists (select 1 from public.room_members m where m.room = realtime.topic() and m.user_id = auth.uid())
    );
  `)
  tokens = {
    alice: await signTestToken({ role: 'authenticated', sub: ALICE }),
    bob: await signTestToken({ role: 'authenticated', sub: BOB }),
    carol: await signTestToken({ role: 'authenticated', sub: CAROL }),
  }
})

afterAll(async () => {
  await test?.drop()
})

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe('broadcast and presence', () => {
  it('relays broadcasts across two instances, authorized by RLS on realtime.messages', async () => {
    const a = await startInstance()
    const b = await startInstance()
    // An unrelated open transaction with an xid must not hold up messages (joins leave id holes).
    const other = new pg.Client({ connectionString: test.url })
    await other.connect()
    await other.query('begin')
    await other.query('create temp table unrelated (x int)')
    await other.query('insert into unrelated values (1)')
    try {
      const onA = await openStream(`${a.server.url}/stream?channel=room:1`, { headers: bearer(tokens.alice) })
      await onA.until((e) => e.some((x) => x.event === 'ready'))

      // Bob sends through instance B; Alice listens on instance A.
      const sent = await fetch(`${b.server.url}/broadcast`, {
        method: 'POST',
        headers: { ...bearer(tokens.bob), 'content-type': 'application/json' },
        body: JSON.stringify({ topic: 'room:1', event: 'cursor', payload: { x: 1, y: 2 } }),
      })
      expect(sent.status).toBe(202)
      await onA.until((e) => e.some((x) => x.event === 'broadcast'))
      expect(onA.events.find((e) => e.event === 'broadcast')?.data).toEqual({
        topic: 'room:1',
        event: 'cursor',
        payload: { x: 1, y: 2 },
      })

      // Carol is no member: she may neither send nor join.
      const refused = await fetch(`${b.server.url}/broadcast`, {
        method: 'POST',
        headers: { ...bearer(tokens.carol), 'content-type': 'application/json' },
        body: JSON.stringify({ topic: 'room:1', event: 'cursor', payload: {} }),
      })
      expect(refused.status).toBe(403)
      expect(await refused.json()).toMatchObject({ code: 'REALTIME_FORBIDDEN' })
      const join = await fetch(`${a.server.url}/stream?channel=room:1`, { headers: bearer(tokens.carol) })
      expect(join.status).toBe(403)
      await onA.close()
    } finally {
      await other.end()
      await a.stop()
      await b.stop()
    }
  })

  it('syncs, joins and leaves presence across instances', async () => {
    const a = await startInstance()
    const b = await startInstance()
    try {
      const channels = (key: string) =>
        encodeURIComponent(JSON.stringify([{ topic: 'room:1', presence: { key, state: { name: key } } }]))
      const alice = await openStream(`${a.server.url}/stream?channels=${channels('alice')}`, {
        headers: bearer(tokens.alice),
      })
      await alice.until((e) =>
        e.some((x) => x.event === 'presence' && (x.data as { type: string }).type === 'join'),
      )

      const bob = await openStream(`${b.server.url}/stream?channels=${channels('bob')}`, {
        headers: bearer(tokens.bob),
      })
      // Bob's sync (from instance B) already contains Alice (tracked on instance A).
      await bob.until((e) =>
        e.some((x) => x.event === 'presence' && (x.data as { type: string }).type === 'sync'),
      )
      const sync = bob.events.find((x) => x.event === 'presence')?.data as {
        presences: Record<string, { name: string }[]>
      }
      expect(Object.keys(sync.presences)).toEqual(['alice'])
      expect(sync.presences.alice?.[0]?.name).toBe('alice')

      // Alice (instance A) sees Bob join (on instance B) and then leave.
      await alice.until((e) =>
        e.some((x) => x.event === 'presence' && (x.data as { key?: string; type: string }).key === 'bob'),
      )
      await bob.close()
      await alice.until((e) =>
        e.some((x) => x.event === 'presence' && (x.data as { type: string; key?: string }).type === 'leave'),
      )
      const leave = alice.events.find(
        (x) => x.event === 'presence' && (x.data as { type: string }).type === 'leave',
      )?.data
      expect(leave).toMatchObject({ topic: 'room:1', type: 'leave', key: 'bob', state: { name: 'bob' } })
      await alice.close()
    } finally {
      await a.stop()
      await b.stop()
    }
  })

  it('makes the presence of a crashed instance leave', async () => {
    const a = await startInstance()
    try {
      // What a crashed process leaves behind: its instance row (heartbeat now stale) and a member.
      await test.db.query(`insert into realtime.instances (id, heartbeat_at) values ('crashed', now())`)
      await test.db.query(
        `insert into realtime.presence (topic, key, ref, instance_id, state) values ('room:1', 'ghost', 'ref-1', 'crashed', '{}')`,
      )
      const watcher = await openStream(`${a.server.url}/stream?channel=room:1`, {
        headers: bearer(tokens.alice),
      })
      await watcher.until((e) => e.some((x) => x.event === 'presence'))
      const sync = watcher.events.find((x) => x.event === 'presence')?.data as {
        presences: Record<string, unknown>
      }
      expect(Object.keys(sync.presences)).toEqual(['ghost'])
      await test.db.query(
        `update realtime.instances set heartbeat_at = now() - interval '1 hour' where id = 'crashed'`,
      )
      await watcher.until((e) =>
        e.some(
          (x) =>
            x.event === 'presence' &&
            (x.data as { type: string }).type === 'leave' &&
            (x.data as { key?: string }).key === 'ghost',
        ),
      )
      await watcher.close()
    } finally {
      await a.stop()
    }
  })
})
