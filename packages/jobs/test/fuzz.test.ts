/**
 * Input fuzz for the jobs admin handler: random and malformed cron expressions, time zones,
 * backfill windows, job ids, states, reschedule times, matview names and bodies. Whatever comes in,
 * the answer is a success or a JSON `{ code, message }` 4xx — never a 5xx.
 *
 * Reproduce a failure with `FUZZ_SEED=<printed seed>`; `FUZZ_RUNS` changes the count.
 */
import { createJwtAuthenticator } from '@groundwork/core'
import {
  createTestDatabase,
  ERROR_SHAPES,
  type FuzzCase,
  HOSTILE,
  type Rng,
  runFuzz,
  signTestToken,
  TEST_JWT_SECRET,
  type TestDatabase,
} from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { addJob, createJobs, defineTask, type Jobs } from '../src/index'

let t: TestDatabase
let jobs: Jobs
let service: string
const jobIds: string[] = []

const noop = defineTask({ name: 'fuzz:noop', schema: z.object({ n: z.number() }), async run() {} })

beforeAll(async () => {
  t = await createTestDatabase()
  await t.db.query(`
    create table public.sales (region text, amount int);
    create materialized view public.sales_by_region as select region, sum(amount) as total from public.sales group by region;
    create unique index on public.sales_by_region (region);
    create view public.plain_view as select 1 as one;`)
  jobs = createJobs({
    db: t.db,
    tasks: [noop],
    authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
  })
  service = await signTestToken({ role: 'service_role' })
  for (let i = 0; i < 5; i++) {
    const job = await addJob(t.db, 'fuzz:noop', { n: i }, { runAt: new Date(Date.now() + 3_600_000) })
    jobIds.push(String(job.id))
  }
})
afterAll(async () => {
  await jobs?.close()
  await t?.drop()
})

const CRONS = [
  '* * * * *',
  '*/15 * * * *',
  '0 9 * * 1-5',
  '0 0 29 2 *',
  '0 0 31 4 *',
  '60 * * * *',
  '* 24 * * *',
  '*/0 * * * *',
  '5-1 * * * *',
  '1,2,,3 * * * *',
  '@daily',
  '* * * *',
  '* * * * * *',
  '',
  'a b c d e',
  '0 0 * * 7',
  '0 0 * JAN MON',
  '0 0 L * *',
  '0 2 * * *',
  '30 2 * * 0',
  '9'.repeat(30) + ' * * * *',
]
const ZONES = [
  'UTC',
  'Europe/Paris',
  'America/New_York',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Nope/Zone',
  '',
  '+05:30',
  'utc',
  'Etc/GMT+12',
]
const NAMES = ['nightly', 'fuzz-a', 'fuzz-b', '', 'x'.repeat(300), '%zz', 'a/b', '😀', ...HOSTILE.strings]

function scheduleBody(r: Rng): unknown {
  const body: Record<string, unknown> = {}
  if (r.chance(0.9)) body.name = r.chance(0.9) ? r.pick(NAMES) : 5
  if (r.chance(0.9)) body.task = r.pick(['fuzz:noop', 'nope', '', 7, ...HOSTILE.strings])
  if (r.chance(0.9)) body.cron = r.chance(0.9) ? r.pick(CRONS) : null
  if (r.chance(0.6)) body.timeZone = r.pick(ZONES)
  if (r.chance(0.4)) body.payload = r.pick([{ n: 1 }, { n: 'x' }, null, [1], 'x'])
  if (r.chance(0.3)) body.backfillSeconds = r.pick([0, 60, 86_400 * 365, -1, 1.5, 1e12])
  if (r.chance(0.3)) body.enabled = r.pick([true, false, 'yes'])
  if (r.chance(0.2)) body.queue = r.pick(['q', null, '', 3])
  return body
}

/** A body: mostly `value` as JSON, sometimes malformed or a nesting bomb (100,000 levels passes the 64 KiB limit). */
function jsonBody(r: Rng, value: unknown): string {
  if (r.chance(0.03)) return HOSTILE.deepJson(r.pick([200, 20_000, 100_000]))
  return r.chance(0.95) ? JSON.stringify(value) : '{'
}

function makeCase(r: Rng): FuzzCase {
  const id = r.chance(0.6)
    ? r.pick(jobIds)
    : r.pick(['0', '-1', 'abc', '99999999999999999999', '1.5', '%zz', '%2F..%2F'])
  const name = encodeURIComponent(r.pick(NAMES)).replace('%25zz', '%zz')
  const json = (value: unknown) => jsonBody(r, value)
  return r.pick<() => FuzzCase>([
    () => ({
      method: 'GET',
      path: `/jobs?${new URLSearchParams({
        state: r.pick(['queued', 'scheduled', 'running', 'failed', 'nope', '']),
        limit: r.pick(['10', '-1', 'abc', '1e9', '0', '99999999999999999999']),
        offset: r.pick(['0', '-5', 'x', '99999999999999999999', '9223372036854775808']),
        task: r.pick(['fuzz:noop', '', '%']),
      })}`,
      body: undefined,
    }),
    () => ({ method: 'GET', path: '/jobs/stats', body: undefined }),
    () => ({ method: 'GET', path: `/jobs/${id}`, body: undefined }),
    () => ({ method: 'POST', path: `/jobs/${id}/retry`, body: undefined }),
    () => ({
      method: 'POST',
      path: `/jobs/${id}/cancel`,
      body: json({ reason: r.pick(['dup', 'x'.repeat(2000), 5]) }),
    }),
    () => ({
      method: 'POST',
      path: `/jobs/${id}/reschedule`,
      body: json({
        runAt: r.pick([
          new Date(Date.now() + 60_000).toISOString(),
          'tomorrow',
          '2026-13-45T99:00:00Z',
          undefined,
        ]),
        priority: r.pick([1, -5, 1.5, 2 ** 40, undefined]),
        attempts: r.pick([0, -1, undefined]),
        maxAttempts: r.pick([1, 0, 2 ** 40, undefined]),
      }),
    }),
    () => ({ method: 'GET', path: '/schedules', body: undefined }),
    () => ({ method: 'POST', path: '/schedules', body: json(scheduleBody(r)) }),
    () => ({ method: 'GET', path: `/schedules/${name}`, body: undefined }),
    () => ({ method: 'PATCH', path: `/schedules/${name}`, body: json(scheduleBody(r)) }),
    () => ({ method: 'DELETE', path: `/schedules/${name}`, body: undefined }),
    () => ({
      method: 'GET',
      path: `/runs?${new URLSearchParams({ limit: r.pick(['5', '-1', 'x', '99999999999999999999']), task: 'fuzz:noop' })}`,
      body: undefined,
    }),
    () => ({ method: 'GET', path: '/matviews', body: undefined }),
    () => ({
      method: 'POST',
      path: '/matviews',
      body: json({
        name: r.pick([
          'public.sales_by_region',
          'public.plain_view',
          'public.nope',
          'sales_by_region',
          '',
          'a.b.c',
        ]),
        schedule: r.pick([undefined, null, ...CRONS.slice(0, 8)]),
        timeZone: r.pick([undefined, ...ZONES]),
        concurrently: r.pick([undefined, true, false, 'x']),
      }),
    }),
    () => ({
      method: 'POST',
      path: `/matviews/${encodeURIComponent(r.pick(['public.sales_by_region', 'public.plain_view', 'nope', '%zz']))}/refresh`,
      body: json({ concurrently: r.pick([true, false, undefined]) }),
    }),
    () => ({
      method: r.pick(['PUT', 'DELETE', 'GET']),
      path: r.pick(['/jobs', '/nope', '/jobs/1/nope', '/']),
      body: undefined,
    }),
  ])()
}

function send(c: FuzzCase): Promise<Response> {
  const headers = new Headers({ authorization: `Bearer ${service}` })
  if (c.body !== undefined) headers.set('content-type', 'application/json')
  return jobs.handler(
    new Request(`http://localhost${c.path}`, {
      method: c.method,
      headers,
      body: c.method === 'GET' ? undefined : c.body,
    }),
  )
}

describe('jobs admin input fuzz', () => {
  it('answers random crons, zones, ids and bodies with a success or a JSON 4xx, never a 5xx', async () => {
    const { seed, failures } = await runFuzz({
      name: 'jobs',
      runs: 1500,
      concurrency: 4,
      makeCase,
      send,
      errorShape: ERROR_SHAPES.groundwork,
    })
    const shown = failures
      .slice(0, 5)
      .map((f) => ({ ...f, case: { ...f.case, body: String(f.case.body).slice(0, 300) } }))
    expect(shown, `seed ${seed} (FUZZ_SEED=${seed} to reproduce)`).toEqual([])
  }, 180_000)
})
