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

async function jobsWithKeyPrefix(prefix: string) {
  const { rows } = await t.db.query<{ key: string; run_at: Date; task_identifier: string }>(
    'select key, run_at, task_identifier from graphile_worker.jobs where key like $1 order by run_at',
    [`${prefix}%`],
  )
  return rows
}

describe('DB-stored schedules', () => {
  it('fires a tick in Asia/Kolkata exactly once across two concurrent runners', async () => {
    const runs: { report: string; key: string | null }[] = []
    const report = defineTask({
      name: 'test:daily-report',
      schema: z.object({ report: z.string() }),
      async run({ report }, ctx) {
        runs.push({ report, key: ctx.job.key })
      },
    })
    const a = createJobs({ db: t.db, tasks: [report], pollInterval: 200, instanceId: 'runner-a' })
    const b = createJobs({ db: t.db, tasks: [report], pollInterval: 200, instanceId: 'runner-b' })
    // 09:30 in Kolkata (UTC+05:30) is 04:00 UTC.
    const created = await a.api.schedules.create(
      {
        name: 'kolkata-report',
        task: 'test:daily-report',
        cron: '30 9 * * *',
        timeZone: 'Asia/Kolkata',
        payload: { report: 'daily' },
      },
      { now: new Date('2026-01-01T03:59:00Z') },
    )
    expect(created.nextRunAt?.toISOString()).toBe('2026-01-01T04:00:00.000Z')

    // Not due yet: nothing is enqueued.
    expect(await a.api.schedules.tick(new Date('2026-01-01T03:59:59Z'))).toEqual([])

    // Both instances tick at the same instant, many times over.
    const now = new Date('2026-01-01T04:00:03Z')
    const results = await Promise.all([...Array(6)].map((_, i) => (i % 2 ? a : b).api.schedules.tick(now)))
    const enqueued = results.flat()
    expect(enqueued).toHaveLength(1)
    expect(enqueued[0]).toMatchObject({
      schedule: 'kolkata-report',
      jobKey: 'schedule:kolkata-report:2026-01-01T04:00:00.000Z',
    })
    expect(await jobsWithKeyPrefix('schedule:kolkata-report:')).toHaveLength(1)

    const after = await b.api.schedules.get('kolkata-report')
    expect(after?.nextRunAt?.toISOString()).toBe('2026-01-02T04:00:00.000Z')
    expect(after?.lastRunAt?.toISOString()).toBe('2026-01-01T04:00:00.000Z')

    // Both runners are up: the one job runs once.
    await Promise.all([a.start(), b.start()])
    try {
      await waitFor(async () => runs.length >= 1)
      await new Promise((resolve) => setTimeout(resolve, 600))
      expect(runs).toEqual([{ report: 'daily', key: 'schedule:kolkata-report:2026-01-01T04:00:00.000Z' }])
    } finally {
      await Promise.all([a.close(), b.close()])
    }
    await a.api.schedules.delete('kolkata-report')
  })

  it('backfills missed ticks within the window and skips older ones', async () => {
    const jobs = createJobs({ db: t.db })
    await jobs.api.schedules.create(
      { name: 'quarterly', task: 'test:noop', cron: '*/15 * * * *', backfillSeconds: 3600 },
      { now: new Date('2026-02-01T07:59:00Z') },
    )
    // Everyone was down from 08:00 to 10:05: ticks from 09:05 on are inside the 1 h window.
    const enqueued = await jobs.api.schedules.tick(new Date('2026-02-01T10:05:00Z'))
    expect(enqueued.map((tick) => tick.tick.toISOString().slice(11, 16))).toEqual([
      '09:15',
      '09:30',
      '09:45',
      '10:00',
    ])
    expect(enqueued.filter((tick) => tick.backfilled).length).toBe(4)
    expect((await jobs.api.schedules.get('quarterly'))?.nextRunAt?.toISOString()).toBe(
      '2026-02-01T10:15:00.000Z',
    )

    await jobs.api.schedules.create(
      { name: 'no-backfill', task: 'test:noop', cron: '0 * * * *' },
      { now: new Date('2026-02-01T07:59:00Z') },
    )
    const none = await jobs.api.schedules.tick(new Date('2026-02-01T10:30:00Z'))
    expect(none.filter((tick) => tick.schedule === 'no-backfill')).toEqual([])
    expect((await jobs.api.schedules.get('no-backfill'))?.nextRunAt?.toISOString()).toBe(
      '2026-02-01T11:00:00.000Z',
    )
  })

  it('enqueues the ticks missed while no instance ran when a runner starts', async () => {
    const ticks: string[] = []
    const minutely = defineTask({
      name: 'test:minutely',
      schema: z.object({}),
      async run(_, ctx) {
        ticks.push(ctx.job.key as string)
      },
    })
    const jobs = createJobs({ db: t.db, tasks: [minutely], pollInterval: 100 })
    // Created 10 minutes ago (real clock), nobody running since; 5 minutes of backfill.
    await jobs.api.schedules.create(
      { name: 'minutely', task: 'test:minutely', cron: '* * * * *', backfillSeconds: 300 },
      { now: new Date(Date.now() - 10 * 60_000) },
    )
    await jobs.start()
    try {
      await waitFor(async () => ticks.length >= 5)
      await new Promise((resolve) => setTimeout(resolve, 300))
      // Ticks in the last 300 s: 5, or 6 when one falls exactly on the window's edge.
      expect(ticks.length).toBeGreaterThanOrEqual(5)
      expect(ticks.length).toBeLessThanOrEqual(6)
      expect(new Set(ticks).size).toBe(ticks.length)
      for (const key of ticks) {
        const at = Date.parse(key.replace('schedule:minutely:', ''))
        expect(Date.now() - at).toBeLessThanOrEqual(301_000)
      }
      const schedule = await jobs.api.schedules.get('minutely')
      expect(schedule?.nextRunAt?.getTime()).toBeGreaterThan(Date.now())
    } finally {
      await jobs.close()
      await jobs.api.schedules.delete('minutely')
    }
  })

  it('edits, disables, enables and deletes schedules at runtime', async () => {
    const jobs = createJobs({ db: t.db })
    const now = new Date('2026-03-01T00:00:30Z')
    await jobs.api.schedules.create({ name: 'editable', task: 'test:noop', cron: '0 12 * * *' }, { now })
    await expect(
      jobs.api.schedules.create({ name: 'editable', task: 'test:noop', cron: '0 12 * * *' }),
    ).rejects.toMatchObject({
      code: 'JOBS_SCHEDULE_EXISTS',
    })
    const moved = await jobs.api.schedules.update(
      'editable',
      { cron: '0 6 * * *', timeZone: 'Europe/Paris' },
      { now },
    )
    expect(moved.nextRunAt?.toISOString()).toBe('2026-03-01T05:00:00.000Z')
    const disabled = await jobs.api.schedules.disable('editable')
    expect(disabled.enabled).toBe(false)
    expect(disabled.nextRunAt).toBeNull()
    expect(
      (await jobs.api.schedules.tick(new Date('2026-03-01T05:00:10Z'))).filter(
        (tick) => tick.schedule === 'editable',
      ),
    ).toEqual([])
    const enabled = await jobs.api.schedules.enable('editable', { now: new Date('2026-03-01T06:00:00Z') })
    expect(enabled.nextRunAt?.toISOString()).toBe('2026-03-02T05:00:00.000Z')
    await expect(jobs.api.schedules.update('editable', { cron: 'every day' })).rejects.toMatchObject({
      code: 'JOBS_INVALID_CRON',
    })
    await expect(jobs.api.schedules.update('editable', { timeZone: 'Mars/Base' })).rejects.toMatchObject({
      code: 'JOBS_INVALID_TIME_ZONE',
    })
    await expect(jobs.api.schedules.update('missing', { cron: '* * * * *' })).rejects.toMatchObject({
      code: 'JOBS_SCHEDULE_NOT_FOUND',
    })
    expect(await jobs.api.schedules.delete('editable')).toBe(true)
    expect(await jobs.api.schedules.delete('editable')).toBe(false)
  })
})
