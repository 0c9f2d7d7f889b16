import http from 'node:http'
import { createJwtAuthenticator } from '@groundwork/core'
import { createTestDatabase, signTestToken, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRealtime } from '../src/index'
import { ALICE, BOB, createTodoSchema, openStream, serve, sleep } from './helpers'

let test: TestDatabase
let psql: pg.Client
let alice: string
let service: string
const authenticate = createJwtAuthenticator({ secret: TEST_JWT_SECRET })

async function startInstance(options: Partial<Parameters<typeof createRealtime>[0]> = {}) {
  const realtime = createRealtime({ db: test.db, authenticate, ...options })
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
  await createTodoSchema(test.db)
  await test.db.query(`insert into public.members values (1, $1), (2, $2)`, [ALICE, BOB])
  psql = new pg.Client({ connectionString: test.url })
  await psql.connect()
  alice = await signTestToken({ role: 'authenticated', sub: ALICE })
  service = await signTestToken({ role: 'service_role' })
})

afterAll(async () => {
  await psql?.end()
  await test?.drop()
})

const titles = (events: { data: unknown }[]) =>
  events.map((e) => (e.data as { record: { title: string } | null }).record?.title)

describe('resume', () => {
  it('replays every visible change after Last-Event-ID, then continues live', async () => {
    const instance = await startInstance()
    try {
      const url = `${instance.server.url}/stream?table=todos`
      const first = await openStream(url, { headers: { authorization: `Bearer ${alice}` } })
      await first.until((e) => e.some((x) => x.event === 'ready'))
      await psql.query(`insert into todos (list_id, title) values (1, 'r1')`)
      await first.until(() => first.changes().length === 1)
      const resumeFrom = first.changes()[0]?.id as string
      await first.close() // the connection drops

      await psql.query(`insert into todos (list_id, title) values (1, 'r2'), (2, 'not alice'), (1, 'r3')`)
      await psql.query(`update todos set done = true where title = 'r2'`)

      const second = await openStream(url, {
        headers: { authorization: `Bearer ${alice}`, 'last-event-id': resumeFrom },
      })
      await second.until((e) => e.some((x) => x.event === 'replayed'))
      await psql.query(`insert into todos (list_id, title) values (1, 'r4')`)
      await second.until(() => second.changes().length >= 4)
      expect(second.changes().map((e) => [e.event, titles([e])[0]])).toEqual([
        ['INSERT', 'r2'],
        ['INSERT', 'r3'],
        ['UPDATE', 'r2'],
        ['INSERT', 'r4'],
      ])
      const ready = second.events.find((e) => e.event === 'ready')
      expect(ready?.data).toMatchObject({ resumed: true })
      await second.close()
    } finally {
      await instance.stop()
    }
  })

  it('loses nothing across a server restart: a new instance replays from the log', async () => {
    const first = await startInstance()
    const stream = await openStream(`${first.server.url}/stream?table=todos&filter=list_id=eq.1`, {
      headers: { authorization: `Bearer ${alice}` },
    })
    await stream.until((e) => e.some((x) => x.event === 'ready'))
    await psql.query(`insert into todos (list_id, title) values (1, 'before restart')`)
    await stream.until(() => titles(stream.changes()).includes('before restart'))
    const last = stream.changes().at(-1)?.id as string
    await first.stop()
    await stream.done

    // Written while no realtime instance is running at all.
    await psql.query(`insert into todos (list_id, title) values (1, 'while down 1'), (1, 'while down 2')`)
    const second = await startInstance()
    try {
      const resumed = await openStream(`${second.server.url}/stream?table=todos&filter=list_id=eq.1`, {
        headers: { authorization: `Bearer ${alice}`, 'last-event-id': last },
      })
      await psql.query(`insert into todos (list_id, title) values (1, 'after restart')`)
      await resumed.until(() => resumed.changes().length >= 3)
      expect(titles(resumed.changes())).toEqual(['while down 1', 'while down 2', 'after restart'])
      await resumed.close()
    } finally {
      await second.stop()
    }
  })

  it('answers resync-required when the resume point was pruned', async () => {
    const instance = await startInstance()
    try {
      await psql.query(`insert into todos (list_id, title) values (1, 'old')`)
      await instance.realtime.drain()
      const { rows } = await psql.query<{ id: string }>('select max(id) as id from realtime.changes')
      await psql.query(`update realtime.changes set commit_timestamp = now() - interval '2 days'`)
      const { deleted } = await instance.realtime.api.prune({ olderThanMs: 24 * 3600 * 1000 })
      expect(deleted).toBeGreaterThan(0)
      const stream = await openStream(`${instance.server.url}/stream?table=todos`, {
        headers: { authorization: `Bearer ${alice}`, 'last-event-id': String(Number(rows[0]?.id) - 1) },
      })
      await stream.until((e) => e.some((x) => x.event === 'resync-required'))
      const resync = stream.events.find((e) => e.event === 'resync-required')
      expect(resync?.data).toMatchObject({ reason: 'retention' })
      // and it continues live
      await psql.query(`insert into todos (list_id, title) values (1, 'fresh')`)
      await stream.until(() => titles(stream.changes()).includes('fresh'))
      await stream.close()
    } finally {
      await instance.stop()
    }
  })
})

describe('ordering and outages', () => {
  it('never skips an id held by a running transaction: changes arrive in id order once it commits or rolls back', async () => {
    const instance = await startInstance({ gapPollMs: 10 })
    const a = new pg.Client({ connectionString: test.url })
    await a.connect()
    const other = new pg.Client({ connectionString: test.url })
    await other.connect()
    try {
      const stream = await openStream(`${instance.server.url}/stream?table=todos&filter=list_id=eq.1`, {
        headers: { authorization: `Bearer ${service}` },
      })
      await stream.until((e) => e.some((x) => x.event === 'ready'))
      // A takes the lower id but commits last.
      await a.query('begin')
      await a.query(`insert into todos (list_id, title) values (1, 'slow writer')`)
      await psql.query(`insert into todos (list_id, title) values (1, 'fast writer')`)
      await sleep(300)
      expect(stream.changes()).toHaveLength(0) // held back, not skipped
      await a.query('commit')
      await stream.until(() => stream.changes().length >= 2)
      expect(titles(stream.changes())).toEqual(['slow writer', 'fast writer'])
      const ids = stream.changes().map((e) => Number(e.id))
      expect(ids[0]).toBeLessThan(ids[1] as number)

      // A rolled-back transaction leaves a hole that is skipped once it ends — even while an
      // unrelated transaction (it has an xid, it wrote elsewhere) stays open.
      await other.query('begin')
      await other.query('create temp table unrelated (x int)')
      await other.query('insert into unrelated values (1)')
      await a.query('begin')
      await a.query(`insert into todos (list_id, title) values (1, 'rolled back')`)
      await psql.query(`insert into todos (list_id, title) values (1, 'after hole')`)
      await sleep(200)
      await a.query('rollback')
      await stream.until(() => stream.changes().length >= 3)
      expect(titles(stream.changes())).toEqual(['slow writer', 'fast writer', 'after hole'])
      await other.query('rollback')
      await stream.close()
    } finally {
      await other.end()
      await a.end()
      await instance.stop()
    }
  })

  it('catches up after its LISTEN connection is killed', async () => {
    const instance = await startInstance()
    try {
      const stream = await openStream(`${instance.server.url}/stream?table=todos&filter=list_id=eq.2`, {
        headers: { authorization: `Bearer ${service}` },
      })
      await stream.until((e) => e.some((x) => x.event === 'ready'))
      const killed = await psql.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
          where datname = current_database() and query like 'listen %' and pid <> pg_backend_pid()`,
      )
      expect(killed.rowCount).toBeGreaterThan(0)
      await psql.query(`insert into todos (list_id, title) values (2, 'during outage')`)
      await stream.until(() => titles(stream.changes()).includes('during outage'), 15_000)
      await psql.query(`insert into todos (list_id, title) values (2, 'after outage')`)
      await stream.until(() => titles(stream.changes()).includes('after outage'))
      await stream.close()
    } finally {
      await instance.stop()
    }
  })
})

describe('backpressure', () => {
  it('cuts a slow consumer with its resume point while others keep receiving, and the resume loses nothing', async () => {
    const instance = await startInstance({ bufferSize: 200, batchSize: 50 })
    try {
      const url = `${instance.server.url}/stream?table=todos&filter=list_id=eq.2`
      const fast = await openStream(url, { headers: { authorization: `Bearer ${service}` } })
      await fast.until((e) => e.some((x) => x.event === 'ready'))

      // A consumer that stops reading: a raw request whose response is paused.
      let raw = ''
      const slowEnded = new Promise<void>((resolve, reject) => {
        const req = http.get(url, { headers: { authorization: `Bearer ${service}` } }, (res) => {
          res.setEncoding('utf8')
          res.once('data', (chunk: string) => {
            raw += chunk
            res.pause()
            setTimeout(() => {
              res.on('data', (more: string) => {
                raw += more
              })
              res.on('end', () => resolve())
              res.resume()
            }, 1500)
          })
          res.on('error', reject)
        })
        req.on('error', reject)
      })
      await sleep(100)
      const big = 'x'.repeat(20_000)
      for (let i = 0; i < 10; i++) {
        await psql.query(
          `insert into todos (list_id, title) select 2, $1 || g from generate_series(1, 100) g`,
          [`${big}-${i}-`],
        )
      }
      await fast.until(() => fast.changes().length >= 1000, 30_000)
      await slowEnded
      const disconnect = /event: disconnect\ndata: (.*)\n/.exec(raw)
      expect(disconnect).not.toBeNull()
      const info = JSON.parse(disconnect?.[1] as string) as { reason: string; last_event_id: string }
      expect(info.reason).toBe('slow_consumer')
      const ids = [...raw.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))
      const lastReceived = ids.at(-1) as number
      expect(Number(info.last_event_id)).toBe(lastReceived)
      expect(fast.changes()).toHaveLength(1000)

      // Resuming from the announced point delivers exactly the rest.
      const resumed = await openStream(url, {
        headers: { authorization: `Bearer ${service}`, 'last-event-id': info.last_event_id },
      })
      const receivedBefore = [...raw.matchAll(/^event: INSERT$/gm)].length
      await resumed.until(() => resumed.changes().length >= 1000 - receivedBefore, 30_000)
      const all = [
        ...ids.filter((id) => id > 0 && raw.includes(`id: ${id}\nevent: INSERT`)),
        ...resumed.changes().map((e) => Number(e.id)),
      ]
      expect(new Set(all).size).toBe(1000)
      expect(all).toEqual(fast.changes().map((e) => Number(e.id)))
      await resumed.close()
      await fast.close()
    } finally {
      await instance.stop()
    }
  })
})
