import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createJobs, type Jobs } from '../src/index'
import { waitFor } from './helpers'

let t: TestDatabase
let jobs: Jobs
beforeAll(async () => {
  t = await createTestDatabase()
  jobs = createJobs({ db: t.db, pollInterval: 100 })
  await t.db.query(`
    create table public.sales (id serial primary key, region text not null, amount int not null);
    insert into public.sales (region, amount) values ('north', 10), ('north', 5), ('south', 7);
    create materialized view public.sales_by_region as
      select region, sum(amount)::int as total from public.sales group by region;
    create unique index sales_by_region_region on public.sales_by_region (region);
    create materialized view public.sales_no_index as select region, amount from public.sales;
    create materialized view public.sales_partial as select region, sum(amount)::int as total from public.sales group by region;
    create unique index sales_partial_region on public.sales_partial (region) where region <> 'x';
    create materialized view public.sales_unpopulated as select region from public.sales group by region with no data;
    create unique index sales_unpopulated_region on public.sales_unpopulated (region);
    create materialized view public.slow_view as select pg_sleep(1.5)::text as slept, 1 as id;
    create view public.plain_view as select 1 as one;
  `)
})
afterAll(async () => {
  await t.drop()
})

async function totals(view: string) {
  const { rows } = await t.db.query(`select region, total from public.${view} order by region`)
  return rows
}

describe('materialized views', () => {
  it('registers only materialized views', async () => {
    await expect(jobs.api.matviews.register('public.plain_view')).rejects.toMatchObject({
      code: 'JOBS_NOT_A_MATVIEW',
      status: 400,
    })
    await expect(jobs.api.matviews.register('missing_view')).rejects.toMatchObject({
      code: 'JOBS_NOT_A_MATVIEW',
    })
    await expect(jobs.api.matviews.refresh('sales_by_region')).rejects.toMatchObject({
      code: 'JOBS_MATVIEW_NOT_REGISTERED',
    })
    const registered = await jobs.api.matviews.register('sales_by_region')
    expect(registered).toMatchObject({
      name: 'public.sales_by_region',
      status: 'never',
      populated: true,
      schedule: null,
    })
  })

  it('refreshes a view (standard and concurrently) and records the outcome', async () => {
    await t.db.query("insert into public.sales (region, amount) values ('south', 100)")
    const standard = await jobs.api.matviews.refresh('sales_by_region')
    expect(standard).toMatchObject({ name: 'public.sales_by_region', concurrently: false })
    expect(await totals('sales_by_region')).toEqual([
      { region: 'north', total: 15 },
      { region: 'south', total: 107 },
    ])
    await t.db.query("insert into public.sales (region, amount) values ('east', 1)")
    const concurrent = await jobs.api.matviews.refresh('public.sales_by_region', { concurrently: true })
    expect(concurrent.concurrently).toBe(true)
    expect(await totals('sales_by_region')).toContainEqual({ region: 'east', total: 1 })
    const status = await jobs.api.matviews.get('sales_by_region')
    expect(status).toMatchObject({ status: 'success', lastError: null })
    expect(status?.lastDurationMs).toBeGreaterThanOrEqual(0)
    expect(status?.lastFinishedAt).toBeInstanceOf(Date)
  })

  it('explains why a view cannot be refreshed concurrently', async () => {
    for (const view of ['sales_no_index', 'sales_partial', 'sales_unpopulated'])
      await jobs.api.matviews.register(view)
    await expect(jobs.api.matviews.refresh('sales_no_index', { concurrently: true })).rejects.toMatchObject({
      code: 'JOBS_MATVIEW_CONCURRENT_UNSUPPORTED',
      message: expect.stringMatching(/unique index/),
    })
    await expect(jobs.api.matviews.refresh('sales_partial', { concurrently: true })).rejects.toMatchObject({
      code: 'JOBS_MATVIEW_CONCURRENT_UNSUPPORTED',
    })
    await expect(
      jobs.api.matviews.refresh('sales_unpopulated', { concurrently: true }),
    ).rejects.toMatchObject({
      code: 'JOBS_MATVIEW_CONCURRENT_UNSUPPORTED',
      message: expect.stringMatching(/never been populated/),
    })
    // A standard refresh populates it; then concurrently works.
    await jobs.api.matviews.refresh('sales_unpopulated')
    await expect(
      jobs.api.matviews.refresh('sales_unpopulated', { concurrently: true }),
    ).resolves.toMatchObject({
      concurrently: true,
    })
  })

  it('lets one refresh of a view run at a time: the second caller gets a 409', async () => {
    await jobs.api.matviews.register('slow_view')
    const first = jobs.api.matviews.refresh('slow_view')
    await waitFor(async () => (await jobs.api.matviews.get('slow_view'))?.status === 'refreshing', 5000, 20)
    await expect(jobs.api.matviews.refresh('slow_view')).rejects.toMatchObject({
      code: 'JOBS_MATVIEW_REFRESH_IN_PROGRESS',
      status: 409,
    })
    await expect(first).resolves.toMatchObject({ name: 'public.slow_view' })
    // The lock is released: a later refresh succeeds.
    await expect(jobs.api.matviews.refresh('slow_view')).resolves.toMatchObject({ name: 'public.slow_view' })
  })

  it('records a failed refresh', async () => {
    await t.db.query(`
      create table public.divisors (n int not null);
      insert into public.divisors values (2);
      create materialized view public.fragile as select 10 / (select sum(n) from public.divisors)::int as quotient;
      update public.divisors set n = 0;
    `)
    await jobs.api.matviews.register('fragile')
    // The view's query now divides by zero: the refresh fails inside Postgres.
    await expect(jobs.api.matviews.refresh('fragile')).rejects.toMatchObject({
      code: 'JOBS_MATVIEW_REFRESH_FAILED',
    })
    const status = await jobs.api.matviews.get('fragile')
    expect(status?.status).toBe('failure')
    expect(status?.lastError).toMatch(/division by zero/)
    // The lock was released: once fixed, it refreshes.
    await t.db.query('update public.divisors set n = 5')
    await expect(jobs.api.matviews.refresh('fragile')).resolves.toMatchObject({ name: 'public.fragile' })
  })

  it('refreshes on a DB-stored schedule with the built-in task', async () => {
    await t.db.query("insert into public.sales (region, amount) values ('west', 3)")
    const registered = await jobs.api.matviews.register('sales_by_region', {
      schedule: '*/5 * * * *',
      timeZone: 'Europe/Berlin',
      concurrently: true,
    })
    expect(registered.schedule).toBe('*/5 * * * *')
    const schedule = await jobs.api.schedules.get('matview:public.sales_by_region')
    expect(schedule).toMatchObject({
      task: 'jobs:refresh-matview',
      timeZone: 'Europe/Berlin',
      payload: { name: 'public.sales_by_region' },
    })
    // Fire the next tick now.
    const ticks = await jobs.api.schedules.tick(schedule?.nextRunAt as Date)
    const tick = ticks.find((candidate) => candidate.schedule === 'matview:public.sales_by_region')
    expect(tick?.jobId).toBeTruthy()
    // The tick is up to 5 minutes ahead of the real clock: bring its job forward.
    await jobs.api.reschedule(tick?.jobId as string, { runAt: new Date() })
    await jobs.start()
    try {
      await waitFor(
        async () => (await totals('sales_by_region')).some((row) => row.region === 'west'),
        10_000,
      )
    } finally {
      await jobs.close()
    }
    expect(await jobs.api.matviews.unregister('sales_by_region')).toBe(true)
    expect(await jobs.api.schedules.get('matview:public.sales_by_region')).toBeNull()
  })
})
