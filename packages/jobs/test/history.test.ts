import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createJobs, defineTask } from '../src/index'
import { waitFor } from './helpers'

let t: TestDatabase
beforeAll(async () => {
  t = await createTestDatabase()
})
afterAll(async () => {
  await t.drop()
})

describe('retries and run history', () => {
  it('retries a failing job with exponential backoff and records every attempt', async () => {
    const attempts: { attempt: number; at: number }[] = []
    const flaky = defineTask({
      name: 'test:flaky',
      schema: z.object({ order: z.number() }),
      maxAttempts: 3,
      async run(_, ctx) {
        attempts.push({ attempt: ctx.job.attempt, at: Date.now() })
        if (ctx.job.attempt < 2) throw new Error(`boom on attempt ${ctx.job.attempt}`)
      },
    })
    const jobs = createJobs({ db: t.db, tasks: [flaky], pollInterval: 100 })
    await jobs.start()
    try {
      const job = await jobs.api.add('test:flaky', { order: 7 })
      // After the first failure graphile-worker pushes run_at by exp(1) ≈ 2.7 s.
      await waitFor(async () => {
        const { rows } = await t.db.query(
          'select attempts, run_at, last_error from graphile_worker.jobs where id = $1',
          [job.id],
        )
        return rows[0]?.last_error ? rows[0] : null
      })
      const { rows: pending } = await t.db.query<{ delay: number }>(
        'select extract(epoch from run_at - updated_at)::float as delay from graphile_worker.jobs where id = $1',
        [job.id],
      )
      expect(pending[0]?.delay).toBeGreaterThan(2)
      expect(pending[0]?.delay).toBeLessThan(3.5)
      await waitFor(async () => attempts.length === 2, 20_000)
      expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThan(2000)
      const runs = await waitFor(async () => {
        const page = await jobs.api.listRuns({ jobId: job.id })
        return page.items.length === 2 ? page : null
      })
      const [second, first] = runs.items
      expect(first).toMatchObject({
        task: 'test:flaky',
        attempt: 1,
        maxAttempts: 3,
        outcome: 'failure',
        payload: { order: 7 },
      })
      expect(first?.error).toBe('Error: boom on attempt 1')
      expect(second).toMatchObject({ attempt: 2, outcome: 'success', error: null })
      expect(second!.durationMs).toBeGreaterThanOrEqual(0)
      expect(second!.finishedAt.getTime()).toBeGreaterThanOrEqual(second!.startedAt.getTime())
    } finally {
      await jobs.close()
    }
  }, 40_000)

  it('leaves the payload out of the history for tasks with recordPayload: false', async () => {
    const secret = defineTask({
      name: 'test:secret',
      schema: z.object({ token: z.string() }),
      recordPayload: false,
      async run() {},
    })
    const jobs = createJobs({ db: t.db, tasks: [secret], pollInterval: 100 })
    await jobs.start()
    try {
      const job = await jobs.api.add('test:secret', { token: 'magic-link-token' })
      const runs = await waitFor(async () => {
        const page = await jobs.api.listRuns({ jobId: job.id })
        return page.items.length === 1 ? page.items : null
      })
      expect(runs[0]).toMatchObject({ outcome: 'success', payload: null })
    } finally {
      await jobs.close()
    }
  })

  it('emits graphile-worker events through jobs.events', async () => {
    const task = defineTask({ name: 'test:evented', schema: z.object({}), async run() {} })
    const jobs = createJobs({ db: t.db, tasks: [task], pollInterval: 100 })
    const seen: string[] = []
    jobs.events.on('job:start', ({ job }) => seen.push(`start:${job.task_identifier}`))
    jobs.events.on('job:success', ({ job }) => seen.push(`success:${job.task_identifier}`))
    await jobs.start()
    try {
      await jobs.api.add('test:evented', {})
      await waitFor(async () => seen.includes('success:test:evented'))
      expect(seen).toContain('start:test:evented')
    } finally {
      await jobs.close()
    }
  })

  it('prunes history older than the retention with the built-in task', async () => {
    await t.db.query(
      `insert into jobs.runs (job_id, task, attempt, max_attempts, started_at, finished_at, duration_ms, outcome)
       values (1, 'test:old', 1, 1, now() - interval '40 days', now() - interval '40 days', 5, 'success'),
              (2, 'test:recent', 1, 1, now() - interval '1 day', now() - interval '1 day', 5, 'success')`,
    )
    const jobs = createJobs({ db: t.db, pollInterval: 100, historyRetention: 7 * 86_400_000 })
    await jobs.start()
    try {
      expect((await jobs.api.schedules.get('jobs:prune-runs'))?.cron).toBe('17 3 * * *')
      // An operator's change survives a restart.
      await jobs.api.schedules.update('jobs:prune-runs', { cron: '0 4 * * *' })
      await jobs.close()
      await jobs.start()
      expect((await jobs.api.schedules.get('jobs:prune-runs'))?.cron).toBe('0 4 * * *')
      const { addJob } = await import('../src/index')
      await addJob(t.db, 'jobs:prune-runs', {})
      await waitFor(async () => {
        const { rows } = await t.db.query("select count(*)::int as n from jobs.runs where task = 'test:old'")
        return rows[0]?.n === 0
      })
      const { rows } = await t.db.query("select count(*)::int as n from jobs.runs where task = 'test:recent'")
      expect(rows[0]?.n).toBe(1)
    } finally {
      await jobs.close()
    }
  })
})

describe('graceful stop', () => {
  it('lets a running job finish, then aborts a job that outlives the timeout', async () => {
    let finished = false
    let aborted = false
    const slow = defineTask({
      name: 'test:slow',
      schema: z.object({ ms: z.number() }),
      maxAttempts: 1,
      async run({ ms }, ctx) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms)
          ctx.signal.addEventListener('abort', () => {
            aborted = true
            clearTimeout(timer)
            resolve()
          })
        })
        if (!aborted) finished = true
      },
    })
    const jobs = createJobs({ db: t.db, tasks: [slow], pollInterval: 100, shutdownTimeout: 2000 })
    const started = new Promise<void>((resolve) => jobs.events.once('job:start', () => resolve()))
    await jobs.start()
    await jobs.api.add('test:slow', { ms: 500 })
    await started
    await jobs.close()
    expect(finished).toBe(true)
    expect(aborted).toBe(false)

    const again = new Promise<void>((resolve) => jobs.events.once('job:start', () => resolve()))
    await jobs.start()
    await jobs.api.add('test:slow', { ms: 60_000 })
    await again
    const before = Date.now()
    await jobs.close({ timeout: 300 })
    expect(aborted).toBe(true)
    // Well before the configured shutdownTimeout (2 s): the per-call timeout applies.
    expect(Date.now() - before).toBeLessThan(1500)
  })
})
