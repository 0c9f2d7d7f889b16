/**
 * Input fuzz for the jobs admin handler: random and malformed cron expressions, time zones,
 * backfill windows, job ids, states, reschedule times, matview names and bodies. Whatever comes in,
 * the answer is a success or a JSON `{ code, message }` 4xx — never a 5xx.
 *
 * Reproduce a failure with `FUZZ_SEED=<printed seed>`; `FUZZ_RUNS` changes the count.
 */
import { createJwtAuthenticator } from '@groundwork/core'
import { createTestDatabase, signTestToken, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { addJob, createJobs, defineTask, type Jobs } from '../src/index'

const RUNS = Number(process.env.FUZZ_RUNS ?? 1500)
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31)
const CONCURRENCY = 4

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
  await jobs?.stop()
  await t?.drop()
})

/** mulberry32: small, fast, seedable. */
function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T
  const chance = (p: number) => next() < p
  return { next, int, pick, chance }
}
type Rng = ReturnType<typeof prng>

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
const NAMES = ['nightly', 'fuzz-a', 'fuzz-b', '', 'x'.repeat(300), '%zz', 'a/b', '😀']

function scheduleBody(r: Rng): unknown {
  const body: Record<string, unknown> = {}
  if (r.chance(0.9)) body.name = r.chance(0.9) ? r.pick(NAMES) : 5
  if (r.chance(0.9)) body.task = r.pick(['fuzz:noop', 'nope', '', 7])
  if (r.chance(0.9)) body.cron = r.chance(0.9) ? r.pick(CRONS) : null
  if (r.chance(0.6)) body.timeZone = r.pick(ZONES)
  if (r.chance(0.4)) body.payload = r.pick([{ n: 1 }, { n: 'x' }, null, [1], 'x'])
  if (r.chance(0.3)) body.backfillSeconds = r.pick([0, 60, 86_400 * 365, -1, 1.5, 1e12])
  if (r.chance(0.3)) body.enabled = r.pick([true, false, 'yes'])
  if (r.chance(0.2)) body.queue = r.pick(['q', null, '', 3])
  return body
}

interface Case {
  method: string
  path: string
  body: string | undefined
}

function makeCase(r: Rng): Case {
  const id = r.chance(0.6) ? r.pick(jobIds) : r.pick(['0', '-1', 'abc', '99999999999999999999', '1.5', '%zz'])
  const name = encodeURIComponent(r.pick(NAMES)).replace('%25zz', '%zz')
  const json = (value: unknown) => (r.chance(0.95) ? JSON.stringify(value) : '{')
  return r.pick<() => Case>([
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

interface Failure {
  why: string
  case: Case
  status: number
  body: string
}

async function send(c: Case): Promise<{ status: number; failure: Failure | null }> {
  const headers = new Headers({ authorization: `Bearer ${service}` })
  if (c.body !== undefined) headers.set('content-type', 'application/json')
  const response = await jobs.handler(
    new Request(`http://localhost${c.path}`, {
      method: c.method,
      headers,
      body: c.method === 'GET' ? undefined : c.body,
    }),
  )
  const raw = await response.text()
  const fail = (why: string) => ({
    status: response.status,
    failure: { why, case: c, status: response.status, body: raw.slice(0, 500) },
  })
  if (response.status >= 500) return fail('5xx')
  if (response.status >= 400) {
    try {
      const parsed = JSON.parse(raw) as Record<string, unknown>
      if (typeof parsed.code !== 'string' || typeof parsed.message !== 'string')
        return fail('error body without code/message')
    } catch {
      return fail('error body is not JSON')
    }
  }
  return { status: response.status, failure: null }
}

describe('jobs admin input fuzz', () => {
  it('answers random crons, zones, ids and bodies with a success or a JSON 4xx, never a 5xx', async () => {
    const r = prng(SEED)
    const cases = Array.from({ length: RUNS }, () => makeCase(r))
    const failures: Failure[] = []
    const statuses = new Map<number, number>()
    let next = 0
    const started = performance.now()
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) {
          const { status, failure } = await send(cases[next++] as Case)
          statuses.set(status, (statuses.get(status) ?? 0) + 1)
          if (failure) failures.push(failure)
        }
      }),
    )
    console.log(
      `jobs fuzz: seed ${SEED} (FUZZ_SEED=${SEED} to reproduce), ${RUNS} requests in ${Math.round(performance.now() - started)} ms; statuses ${[
        ...statuses,
      ]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `${status}×${n}`)
        .join(' ')}`,
    )
    expect(failures.slice(0, 5), `seed ${SEED}`).toEqual([])
  }, 180_000)
})
