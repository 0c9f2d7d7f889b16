import { createHmac } from 'node:crypto'
import { GroundworkError, type Principal } from '@groundwork/core'
import {
  createTestDatabase,
  postOversizeBody,
  signTestToken,
  TEST_JWT_SECRET,
  type TestDatabase,
} from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { addJob, createJobs, defineTask, type Jobs } from '../src/index'

let t: TestDatabase
let jobs: Jobs
let serviceToken: string
let userToken: string

/** A minimal HS256 authenticator for the test (core's JWT authenticator is not published yet). */
async function authenticate(request: Request): Promise<Principal> {
  const header = request.headers.get('authorization')
  if (!header?.startsWith('Bearer ')) return { kind: 'anonymous', role: 'anon', claims: { role: 'anon' } }
  const [head, body, signature] = header.slice(7).split('.')
  const expected = createHmac('sha256', TEST_JWT_SECRET).update(`${head}.${body}`).digest('base64url')
  if (signature !== expected) throw new GroundworkError('TEST_BAD_TOKEN', 'bad token', { status: 401 })
  const claims = JSON.parse(Buffer.from(body as string, 'base64url').toString('utf8'))
  return { kind: 'jwt', role: String(claims.role), claims }
}

const noop = defineTask({ name: 'test:admin-noop', schema: z.object({ n: z.number() }), async run() {} })

beforeAll(async () => {
  t = await createTestDatabase()
  jobs = createJobs({
    db: t.db,
    tasks: [noop],
    authenticate,
    onError: (error) => console.error('admin 500', error),
  })
  serviceToken = await signTestToken({ role: 'service_role' })
  userToken = await signTestToken({ role: 'authenticated', sub: '00000000-0000-0000-0000-000000000001' })
})
afterAll(async () => {
  await t.drop()
})

function call(method: string, path: string, body?: unknown, token: string | null = serviceToken) {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (token) headers.authorization = `Bearer ${token}`
  return jobs.handler(
    new Request(`http://localhost${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  )
}

describe('admin API', () => {
  it('lets only the service role in, with a JSON { code, message } 403', async () => {
    for (const token of [userToken, null]) {
      const response = await call('GET', '/jobs', undefined, token)
      expect(response.status).toBe(403)
      expect(response.headers.get('content-type')).toMatch(/application\/json/)
      expect(await response.json()).toMatchObject({ code: 'JOBS_FORBIDDEN', message: expect.any(String) })
    }
    const closed = createJobs({ db: t.db })
    const response = await closed.handler(new Request('http://localhost/jobs/stats'))
    expect(response.status).toBe(403)
  })

  it('lists and filters jobs with pagination, and reports stats', async () => {
    const now = await addJob(t.db, noop, { n: 1 })
    await addJob(t.db, noop, { n: 2 }, { queue: 'serial' })
    const later = await addJob(t.db, noop, { n: 3 }, { runAt: new Date(Date.now() + 3600_000) })
    const failed = await addJob(t.db, noop, { n: 4 })
    await jobs.api.cancel(failed.id, 'not needed')

    const all = await (await call('GET', '/jobs?limit=2')).json()
    expect(all.total).toBe(4)
    expect(all.items).toHaveLength(2)
    expect(all.limit).toBe(2)
    const second = await (await call('GET', '/jobs?limit=2&offset=2')).json()
    expect(second.items.map((job: { id: string }) => job.id)).not.toContain(all.items[0].id)

    const scheduled = await (await call('GET', '/jobs?state=scheduled')).json()
    expect(scheduled.items.map((job: { id: string }) => job.id)).toEqual([later.id])
    const queued = await (await call('GET', '/jobs?state=queued&queue=serial')).json()
    expect(queued.items).toHaveLength(1)
    expect(queued.items[0]).toMatchObject({ queue: 'serial', task: 'test:admin-noop', state: 'queued' })
    const failedList = await (await call('GET', '/jobs?state=failed')).json()
    expect(failedList.items[0]).toMatchObject({ id: failed.id, lastError: 'not needed' })

    const stats = await (await call('GET', '/jobs/stats')).json()
    expect(stats).toMatchObject({ queued: 2, scheduled: 1, failed: 1, running: 0 })
    expect(stats.oldestQueuedAgeSeconds).toBeGreaterThanOrEqual(0)

    const bad = await call('GET', '/jobs?state=sleeping')
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ code: 'JOBS_INVALID_REQUEST' })
    expect((await call('GET', `/jobs/${now.id}`)).status).toBe(200)
  })

  it('retries, cancels and reschedules jobs', async () => {
    const job = await addJob(t.db, noop, { n: 10 }, { runAt: new Date(Date.now() + 86_400_000) })
    const retried = await (await call('POST', `/jobs/${job.id}/retry`)).json()
    expect(retried.state).toBe('queued')
    const runAt = new Date(Date.now() + 7200_000).toISOString()
    const rescheduled = await (
      await call('POST', `/jobs/${job.id}/reschedule`, { runAt, priority: 5 })
    ).json()
    expect(rescheduled).toMatchObject({ state: 'scheduled', priority: 5, runAt })
    const cancelled = await call('POST', `/jobs/${job.id}/cancel`, { reason: 'operator' })
    expect(await cancelled.json()).toMatchObject({ state: 'failed', lastError: 'operator' })
    // A permanently failed job gets one more attempt on retry.
    const again = await (await call('POST', `/jobs/${job.id}/retry`)).json()
    expect(again).toMatchObject({ state: 'queued' })
    expect(again.attempts).toBeLessThan(again.maxAttempts)

    const missing = await call('POST', '/jobs/999999/retry')
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ code: 'JOBS_NOT_FOUND' })
    await t.db.query(
      "update graphile_worker._private_jobs set locked_at = now(), locked_by = 'someone' where id = $1",
      [job.id],
    )
    const locked = await call('POST', `/jobs/${job.id}/cancel`)
    expect(locked.status).toBe(409)
    expect(await locked.json()).toMatchObject({ code: 'JOBS_JOB_LOCKED' })
    expect((await call('POST', '/jobs/abc/retry')).status).toBe(400)
  })

  it('manages schedules over HTTP', async () => {
    const created = await call('POST', '/schedules', {
      name: 'nightly',
      task: 'test:admin-noop',
      cron: '0 2 * * *',
      timeZone: 'America/New_York',
      payload: { n: 1 },
    })
    expect(created.status).toBe(201)
    expect(await created.json()).toMatchObject({
      name: 'nightly',
      timeZone: 'America/New_York',
      enabled: true,
    })
    expect((await call('POST', '/schedules', { name: 'nightly', task: 'x', cron: '0 2 * * *' })).status).toBe(
      409,
    )
    expect((await call('POST', '/schedules', { name: 'broken', task: 'x', cron: 'soon' })).status).toBe(400)
    const disabled = await (await call('PATCH', '/schedules/nightly', { enabled: false })).json()
    expect(disabled).toMatchObject({ enabled: false, nextRunAt: null })
    const list = await (await call('GET', '/schedules')).json()
    expect(list.items.map((s: { name: string }) => s.name)).toContain('nightly')
    expect((await call('DELETE', '/schedules/nightly')).status).toBe(200)
    expect((await call('DELETE', '/schedules/nightly')).status).toBe(404)
  })

  it('lists run history and matviews, refreshes a matview, rejects unknown routes', async () => {
    await t.db.query(
      `insert into jobs.runs (job_id, task, attempt, max_attempts, started_at, finished_at, duration_ms, outcome, error)
       values (42, 'test:admin-noop', 1, 3, now(), now(), 12, 'failure', 'Error: nope')`,
    )
    const runs = await (await call('GET', '/runs?task=test:admin-noop&outcome=failure')).json()
    expect(runs.items[0]).toMatchObject({ jobId: '42', error: 'Error: nope', durationMs: 12 })

    await t.db.query('create materialized view public.admin_mv as select 1 as id')
    expect((await call('POST', '/matviews', { name: 'admin_mv' })).status).toBe(201)
    const refreshed = await call('POST', '/matviews/admin_mv/refresh', { concurrently: true })
    expect(refreshed.status).toBe(409)
    expect(await refreshed.json()).toMatchObject({ code: 'JOBS_MATVIEW_CONCURRENT_UNSUPPORTED' })
    expect((await call('POST', '/matviews/public.admin_mv/refresh')).status).toBe(200)
    const matviews = await (await call('GET', '/matviews')).json()
    expect(matviews.items[0]).toMatchObject({ name: 'public.admin_mv', status: 'success' })

    const unknown = await call('GET', '/nope')
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ code: 'HTTP_NOT_FOUND' })
    const badPath = await call('PATCH', '/schedules/%E0%A4%A')
    expect(badPath.status).toBe(400)
    expect(await badPath.json()).toMatchObject({ code: 'HTTP_BAD_PATH' })
    const wrongMethod = await call('DELETE', '/jobs/stats')
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD')
    expect(await wrongMethod.json()).toMatchObject({ code: 'HTTP_METHOD_NOT_ALLOWED' })
  })

  it('answers malformed and invalid bodies with the HTTP kit codes', async () => {
    const malformed = await jobs.handler(
      new Request('http://localhost/schedules', {
        method: 'POST',
        headers: { authorization: `Bearer ${serviceToken}` },
        body: '{nope',
      }),
    )
    expect(malformed.status).toBe(400)
    expect(await malformed.json()).toMatchObject({ code: 'HTTP_BAD_JSON' })
    const invalid = await call('POST', '/schedules', { name: 'x', task: 'x' })
    expect(invalid.status).toBe(400)
    expect(await invalid.json()).toMatchObject({
      code: 'HTTP_INVALID_BODY',
      message: expect.stringContaining('cron'),
    })
  })
})

describe('admin handler limits and mounting', () => {
  it('strips basePath only at a segment boundary (`/adminjobs` is not under `/admin`)', async () => {
    const mounted = createJobs({ db: t.db, authenticate, basePath: '/admin' })
    const get = (path: string) =>
      mounted.handler(
        new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${serviceToken}` } }),
      )
    expect((await get('/admin/jobs/stats')).status).toBe(200)
    // `startsWith(basePath)` without a boundary used to route this as `/jobs/stats`.
    const outside = await get('/adminjobs/stats')
    expect(outside.status).toBe(404)
    expect(await outside.json()).toMatchObject({ code: 'HTTP_NOT_FOUND' })
  })

  it('refuses a body past maxBodyBytes with 413 while streaming, without buffering it', async () => {
    const result = await postOversizeBody({
      handler: jobs.handler,
      path: '/schedules',
      limit: 64 * 1024,
      headers: { authorization: `Bearer ${serviceToken}` },
    })
    expect(result.status).toBe(413)
    expect(result.body).toMatchObject({ code: 'HTTP_PAYLOAD_TOO_LARGE', message: expect.any(String) })
    expect(result.rssGrowth).toBeLessThan(20 * 1024 * 1024)
  })

  it('refuses JSON nested deeper than maxJsonDepth with 400, not a stack overflow', async () => {
    const response = await jobs.handler(
      new Request('http://localhost/schedules', {
        method: 'POST',
        headers: { authorization: `Bearer ${serviceToken}` },
        body: `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
      }),
    )
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ code: 'HTTP_JSON_TOO_DEEP' })
  })
})

describe('numbers graphile-worker stores as smallint / integer', () => {
  it('refuses out-of-range priority, attempts and backfill with JOBS_INVALID_REQUEST, not a database error', async () => {
    await expect(addJob(t.db, 'test:admin-noop', { n: 1 }, { priority: 40_000 })).rejects.toMatchObject({
      code: 'JOBS_INVALID_REQUEST',
      message: 'Job `priority` must be an integer from -32768 to 32767',
    })
    await expect(addJob(t.db, 'test:admin-noop', { n: 1 }, { maxAttempts: 0 })).rejects.toMatchObject({
      code: 'JOBS_INVALID_REQUEST',
    })
    await expect(
      jobs.api.schedules.create({
        name: 'too-far',
        task: 'test:admin-noop',
        cron: '* * * * *',
        backfillSeconds: 1e12,
      }),
    ).rejects.toMatchObject({ code: 'JOBS_INVALID_REQUEST' })
    const job = await addJob(t.db, 'test:admin-noop', { n: 2 }, { runAt: new Date(Date.now() + 3_600_000) })
    const response = await call('POST', `/jobs/${job.id}/reschedule`, { maxAttempts: 2 ** 40 })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({
      code: 'JOBS_INVALID_REQUEST',
      message: 'Job `maxAttempts` must be an integer from 1 to 32767',
    })
  })
})
