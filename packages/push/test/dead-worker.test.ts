/**
 * A delivery worker killed with SIGKILL in the middle of a fan-out, then a fresh one: no device is
 * lost, every device ends with exactly one delivery, recorded as sent, and the only sends the
 * provider saw twice are deliveries that were in flight at the crash (recorded with a second
 * attempt) — at-least-once, never more than that.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createJobs } from '@groundwork/jobs'
import { createTestDatabase, sourceForkArgv, type TestDatabase } from '@groundwork/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPush, fcmProvider } from '../src/index'
import { type FcmTestServer, startFcmServer } from './fixtures/fcm-server'
import { fcmToken, waitFor } from './helpers'

const DEVICES = 3000
const BATCH = 100
const TOPIC = 'breaking-news'
const FREEZE_LOCK = 7_340_001

let t: TestDatabase
let fcm: FcmTestServer
let child: ChildProcess | undefined

beforeAll(async () => {
  ;[t, fcm] = await Promise.all([createTestDatabase(), startFcmServer({ latencyMs: 100 })])
  await t.db.query(
    `with d as (
       insert into push.devices (user_id, provider, token)
       select gen_random_uuid(), 'fcm', unnest($1::text[]) returning id)
     insert into push.device_topics (device_id, topic) select id, $2 from d`,
    [Array.from({ length: DEVICES }, fcmToken), TOPIC],
  )
})
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
  await Promise.all([fcm?.close(), t?.drop()])
})

function messageFrom(proc: ChildProcess, type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Record<string, unknown>) => {
      if (message.type === type) {
        proc.off('message', onMessage)
        resolve(message)
      }
    }
    proc.on('message', onMessage)
    proc.once('exit', (code) => reject(new Error(`child exited (${code}) before sending "${type}"`)))
  })
}

describe('a worker killed with SIGKILL mid-fan-out', () => {
  it('loses no device and repeats only the sends that were in flight', async () => {
    child = fork(fileURLToPath(new URL('./fixtures/doomed-worker.ts', import.meta.url)), {
      env: {
        ...process.env,
        PUSH_TEST_DATABASE_URL: t.url,
        PUSH_TEST_FCM_URL: fcm.url,
        PUSH_TEST_FCM_CREDENTIALS: JSON.stringify(fcm.credentials),
        PUSH_TEST_BATCH_SIZE: String(BATCH),
      },
      execArgv: sourceForkArgv(),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    await messageFrom(child, 'ready')

    // Freeze the fan-out after its second step (batches 1–4, 400 deliveries, committed): the third
    // step's update of the notification row waits, in a trigger, for an advisory lock the blocker
    // holds. The kill then lands with the fan-out unfinished and the first batches' sends in
    // flight, however fast or slow the machine is.
    const blocker = new pg.Client({ connectionString: t.url })
    await blocker.connect()
    await blocker.query('select pg_advisory_lock($1)', [FREEZE_LOCK])
    await t.db.query(
      `create function public.freeze_fanout() returns trigger language plpgsql as $$
         begin perform pg_advisory_xact_lock(${FREEZE_LOCK}); return new; end $$`,
    )
    await t.db.query(
      `create trigger freeze_fanout before update on push.notifications for each row
         when (old.fanout_batches >= 4) execute function public.freeze_fanout()`,
    )

    const sender = createPush({ db: t.db })
    const { id } = await sender.api.send({
      to: { topic: TOPIC },
      notification: { title: 'Breaking', body: 'News' },
    })

    // Kill once some outcomes are recorded, with others still in flight.
    await waitFor(
      async () => {
        const { rows } = await t.db.query(
          "select count(*)::int as n from push.deliveries where notification_id = $1 and status = 'sent'",
          [id],
        )
        return (rows[0]?.n ?? 0) >= 50
      },
      30_000,
      5,
    )

    child.kill('SIGKILL')
    await new Promise((resolve) => child?.once('exit', resolve))
    const atKill = await t.db.query(
      `select n.fanned_out_at, n.fanout_batches,
         (select count(*)::int from push.deliveries where notification_id = n.id) as deliveries,
         (select count(*)::int from push.deliveries where notification_id = n.id and status = 'sent') as sent
       from push.notifications n where n.id = $1`,
      [id],
    )
    const recordedAtKill = await t.db.query<{ token: string }>(
      `select d.token from push.deliveries dl join push.devices d on d.id = dl.device_id
       where dl.notification_id = $1 and dl.status = 'sent'`,
      [id],
    )
    // Unfreeze: the dead worker's backend finishes its statement, finds its client gone and
    // rolls back; then the trigger goes, so the restarted fan-out runs freely.
    await blocker.end()
    await t.db.query('drop trigger freeze_fanout on push.notifications')
    const crash = atKill.rows[0] as {
      fanned_out_at: Date | null
      fanout_batches: number
      deliveries: number
      sent: number
    }
    expect(crash.fanned_out_at).toBeNull()
    expect(crash.deliveries).toBeLessThan(DEVICES)
    expect(crash.sent).toBeLessThan(crash.deliveries)
    const acceptedAtKill = fcm.accepted.length

    // The restart: a new runner (heartbeat sweep with a short staleAfter) takes over the dead one's jobs.
    const push = createPush({
      db: t.db,
      providers: [fcmProvider({ credentials: JSON.stringify(fcm.credentials), url: fcm.url })],
      batchSize: BATCH,
    })
    const jobs = createJobs({
      db: t.db,
      tasks: push.tasks,
      concurrency: 4,
      pollInterval: 200,
      heartbeatInterval: 500,
      staleAfter: 2000,
    })
    await jobs.start()
    try {
      const done = await waitFor(
        async () => {
          const status = await push.api.notification(id, { limit: 0 })
          return status?.fannedOutAt && status.counts.pending === 0 && status.deviceCount === DEVICES
            ? status
            : null
        },
        60_000,
        200,
      )
      expect(done.counts).toEqual({ pending: 0, sent: DEVICES, failed: 0, pruned: 0 })
      const { rows } = await t.db.query<{ token: string; attempts: number }>(
        `select d.token, dl.attempts from push.deliveries dl join push.devices d on d.id = dl.device_id
         where dl.notification_id = $1`,
        [id],
      )
      expect(rows).toHaveLength(DEVICES)
      const attempts = new Map(rows.map((row) => [row.token, row.attempts]))
      // Every device reached the provider.
      expect([...attempts.keys()].every((token) => (fcm.acceptedByToken.get(token) ?? 0) >= 1)).toBe(true)
      // Twice only for deliveries re-attempted after the crash, never three times.
      const twice = [...fcm.acceptedByToken].filter(([token, n]) => attempts.has(token) && n > 1)
      expect(twice.every(([token, n]) => n === 2 && (attempts.get(token) ?? 0) >= 2)).toBe(true)
      // A delivery recorded as sent is never sent again; repeats come only from what the dead
      // worker had claimed but not recorded.
      const recorded = new Set(recordedAtKill.rows.map((row) => row.token))
      expect(twice.filter(([token]) => recorded.has(token))).toEqual([])
      expect(twice.length).toBeLessThanOrEqual(crash.deliveries - crash.sent)
      console.log(
        `push dead worker: killed after ${acceptedAtKill} sends with ${crash.deliveries}/${DEVICES} deliveries fanned out (${crash.fanout_batches} batches, ${crash.sent} recorded sent); after restart all ${DEVICES} sent, ${twice.length} seen twice by the provider`,
      )
    } finally {
      await jobs.close()
      await push.close()
    }
  }, 120_000)
})
