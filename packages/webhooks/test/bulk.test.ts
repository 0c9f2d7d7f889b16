/**
 * Volume and crashes: a 10,000-row insert into a watched table delivers 10,000 messages with
 * none lost; a delivery worker killed with SIGKILL mid-stream loses nothing, and the only
 * messages a receiver sees twice are ones in flight at the crash (same `webhook-id`).
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createJobs, type Jobs } from '@groundwork/jobs'
import { createTestDatabase, sourceForkArgv, type TestDatabase } from '@groundwork/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWebhooks, type Webhooks } from '../src/index'
import { type Receiver, startReceiver, waitFor } from './fixtures/receiver'

const ROWS = 10_000

let t: TestDatabase
let receiver: Receiver
let child: ChildProcess | undefined
let jobs: Jobs | undefined
let webhooks: Webhooks

beforeAll(async () => {
  ;[t, receiver] = await Promise.all([createTestDatabase(), startReceiver()])
  await t.db.query('create table public.events (id int primary key, body text not null)')
  await t.db.query('create table public.crash (id int primary key)')
  webhooks = createWebhooks({ db: t.db, allowHosts: ['127.0.0.1'], requestTimeout: 2000 })
})
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
  await jobs?.close()
  await webhooks?.close()
  await Promise.all([receiver?.close(), t?.drop()])
})

function messageFrom(proc: ChildProcess, type: string): Promise<void> {
  return new Promise((resolve, reject) => {
    proc.on('message', (message: { type?: string }) => message.type === type && resolve())
    proc.once('exit', (code) => reject(new Error(`child exited (${code}) before "${type}"`)))
  })
}

function idsOf(endpoint: string) {
  return receiver.received
    .filter((r) => r.headers['x-endpoint'] === endpoint)
    .map((r) => ({
      webhookId: r.headers['webhook-id'] as string,
      row: JSON.parse(r.body).data.record.id as number,
    }))
}

describe('bulk and crash', () => {
  it('a worker killed with SIGKILL mid-delivery loses nothing; repeats keep their webhook-id', async () => {
    const endpoint = await webhooks.api.create({
      url: receiver.url,
      table: 'crash',
      events: ['INSERT'],
      maxConcurrency: 5,
      headers: { 'x-endpoint': 'crash' },
    })
    child = fork(fileURLToPath(new URL('./fixtures/doomed-worker.ts', import.meta.url)), {
      env: { ...process.env, WEBHOOKS_TEST_DATABASE_URL: t.url },
      execArgv: sourceForkArgv(),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    await messageFrom(child, 'ready')
    const client = new pg.Client({ connectionString: t.url })
    await client.connect()
    await client.query('insert into public.crash select g from generate_series(1, 400) g')
    await client.end()
    await waitFor(() => idsOf('crash').length >= 100, 60_000, 5)
    child.kill('SIGKILL')
    await new Promise((resolve) => child?.once('exit', resolve))
    const atCrash = idsOf('crash').length
    expect(atCrash).toBeLessThan(400)

    // A fresh runner: the dead worker's job is recovered, its leased deliveries are due again.
    const recovery = createJobs({
      db: t.db,
      tasks: webhooks.tasks,
      pollInterval: 50,
      heartbeatInterval: 300,
      staleAfter: 1500,
      concurrency: 4,
    })
    await recovery.start()
    try {
      const done = await waitFor(async () => {
        const { rows } = await t.db.query<{ n: number }>(
          `select count(*)::int as n from webhooks.deliveries where endpoint_id = $1 and status = 'delivered'`,
          [endpoint.id],
        )
        return rows[0]!.n === 400 && rows[0]!.n
      }, 60_000)
      expect(done).toBe(400)
      const seen = idsOf('crash')
      expect(new Set(seen.map((s) => s.row)).size).toBe(400)
      // Duplicates are at-least-once repeats: same row, same webhook-id, at most the in-flight cap.
      const byId = new Map<string, Set<number>>()
      for (const s of seen) byId.set(s.webhookId, (byId.get(s.webhookId) ?? new Set()).add(s.row))
      expect(byId.size).toBe(400)
      for (const rows of byId.values()) expect(rows.size).toBe(1)
      // Repeats are deliveries claimed by the dead worker (in flight, or answered but not yet
      // recorded): at most twice the cap (the cap in flight plus as many claimed ahead), each
      // recorded with a second attempt.
      const repeats = seen.length - 400
      expect(repeats).toBeLessThanOrEqual(10)
      const { rows: retried } = await t.db.query<{ n: number }>(
        `select count(*)::int as n from webhooks.deliveries where endpoint_id = $1 and attempts >= 2`,
        [endpoint.id],
      )
      expect(retried[0]!.n).toBeGreaterThanOrEqual(repeats)
    } finally {
      await recovery.close()
    }
  }, 120_000)

  it(`delivers a ${ROWS}-row insert as ${ROWS} messages, none lost`, async () => {
    const endpoint = await webhooks.api.create({
      url: receiver.url,
      table: 'events',
      events: ['INSERT'],
      maxConcurrency: 20,
      headers: { 'x-endpoint': 'bulk' },
    })
    jobs = createJobs({ db: t.db, tasks: webhooks.tasks, pollInterval: 50, concurrency: 4 })
    await jobs.start()
    const client = new pg.Client({ connectionString: t.url })
    await client.connect()
    await client.query(`insert into public.events select g, 'row ' || g from generate_series(1, ${ROWS}) g`)
    await client.end()
    await waitFor(() => idsOf('bulk').length >= ROWS, 120_000, 100)
    await waitFor(async () => {
      const { rows } = await t.db.query<{ n: number }>(
        `select count(*)::int as n from webhooks.deliveries where endpoint_id = $1 and status <> 'delivered'`,
        [endpoint.id],
      )
      return rows[0]!.n === 0
    })
    const seen = idsOf('bulk')
    expect(new Set(seen.map((s) => s.row)).size).toBe(ROWS)
    expect(new Set(seen.map((s) => s.webhookId)).size).toBe(ROWS)
    expect(seen.length).toBe(ROWS)
  }, 180_000)
})
