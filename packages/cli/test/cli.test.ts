import { addJob } from '@groundwork/jobs'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './fixtures/run-cli'

let empty: TestDatabase
let t: TestDatabase
beforeAll(async () => {
  ;[empty, t] = await Promise.all([createTestDatabase({ migrated: false }), createTestDatabase()])
})
afterAll(async () => {
  await Promise.all([empty.drop(), t.drop()])
})

/** Spawns the `groundwork` source entry under tsx, as a user would run the binary. */
function groundwork(args: string[], url: string | null = t.url) {
  return runCli(args, { DATABASE_URL: url ?? undefined })
}

describe('groundwork CLI', () => {
  it('migrates an empty database with progress output, then reports it up to date', async () => {
    const first = await groundwork(['migrate'], empty.url)
    expect(first.code).toBe(0)
    expect(first.stderr).toMatch(/\[1\/\d+\] core\/0001_bootstrap/)
    expect(first.stderr).toMatch(/jobs\/0001_jobs/)
    expect(first.stdout).toMatch(/Applied \d+ migration\(s\)\./)
    for (const set of ['mail/0001_mail', 'auth/0001_auth', 'rest/0001', 'realtime/0001_realtime']) {
      expect(first.stderr).toContain(set)
    }
    const { rows } = await empty.db.query(
      `select to_regclass('graphile_worker.jobs') as gw, to_regclass('jobs.schedules') as schedules,
         to_regclass('mail.templates') as templates, to_regclass('auth.users') as users,
         to_regclass('realtime.changes') as changes,
         (select count(*)::int from pg_event_trigger where evtname like 'groundwork_rest%') as reload_triggers`,
    )
    expect(rows[0]).toEqual({
      gw: 'graphile_worker.jobs',
      schedules: 'jobs.schedules',
      templates: 'mail.templates',
      users: 'auth.users',
      changes: 'realtime.changes',
      reload_triggers: 1,
    })
    const again = await groundwork(['migrate', '--json'], empty.url)
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout)).toEqual({ applied: [] })
  })

  it('lists jobs, shows stats, retries and cancels', async () => {
    const job = await addJob(t.db, 'cli:task', { n: 1 }, { runAt: new Date(Date.now() + 3600_000) })
    const list = await groundwork(['jobs', 'list', '--json', '--state', 'scheduled'])
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout).items).toMatchObject([
      { id: job.id, task: 'cli:task', state: 'scheduled' },
    ])
    const table = await groundwork(['jobs', 'list'])
    expect(table.stdout).toMatch(/^ID\s+TASK\s+STATE/)
    expect(table.stdout).toContain('cli:task')

    const retry = await groundwork(['jobs', 'retry', job.id])
    expect(retry.code).toBe(0)
    expect(retry.stdout).toContain(`Job ${job.id} (cli:task) will run now.`)
    const cancel = await groundwork(['jobs', 'cancel', job.id, '--reason', 'not wanted', '--json'])
    expect(JSON.parse(cancel.stdout)).toMatchObject({ id: job.id, state: 'failed', lastError: 'not wanted' })
    const stats = await groundwork(['jobs', 'stats', '--json'])
    expect(JSON.parse(stats.stdout)).toMatchObject({ failed: 1, queued: 0 })
    const missing = await groundwork(['jobs', 'retry', '999999'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('JOBS_NOT_FOUND')
  })

  it('manages schedules', async () => {
    const created = await groundwork([
      'schedules',
      'create',
      'cli-nightly',
      '--task',
      'cli:task',
      '--cron',
      '30 1 * * *',
      '--tz',
      'Asia/Kolkata',
      '--payload',
      '{"kind":"nightly"}',
      '--json',
    ])
    expect(created.code).toBe(0)
    expect(JSON.parse(created.stdout)).toMatchObject({
      name: 'cli-nightly',
      timeZone: 'Asia/Kolkata',
      payload: { kind: 'nightly' },
    })
    const updated = await groundwork(['schedules', 'update', 'cli-nightly', '--cron', '0 6 * * 1-5'])
    expect(updated.stdout).toMatch(/Schedule cli-nightly updated; next run \d{4}-/)
    expect((await groundwork(['schedules', 'disable', 'cli-nightly'])).stdout).toContain('disabled')
    const list = await groundwork(['schedules', 'list', '--json'])
    expect(JSON.parse(list.stdout)).toContainEqual(
      expect.objectContaining({ name: 'cli-nightly', enabled: false, cron: '0 6 * * 1-5' }),
    )
    expect((await groundwork(['schedules', 'enable', 'cli-nightly'])).code).toBe(0)
    expect((await groundwork(['schedules', 'delete', 'cli-nightly'])).code).toBe(0)
    const gone = await groundwork(['schedules', 'delete', 'cli-nightly', '--json'])
    expect(gone.code).toBe(1)
    expect(JSON.parse(gone.stderr)).toEqual({
      error: { code: 'JOBS_SCHEDULE_NOT_FOUND', message: 'No schedule named "cli-nightly"' },
    })
  })

  it('registers, refreshes and lists materialized views', async () => {
    await t.db.query(
      'create materialized view public.cli_mv as select 1 as id; create unique index on public.cli_mv (id)',
    )
    const registered = await groundwork(['matviews', 'register', 'public.cli_mv', '--schedule', '0 * * * *'])
    expect(registered.code).toBe(0)
    expect(registered.stdout).toContain("Registered public.cli_mv (refreshed on '0 * * * *' UTC).")
    const refreshed = await groundwork(['matviews', 'refresh', 'cli_mv', '--concurrently'])
    expect(refreshed.stdout).toMatch(/Refreshed public\.cli_mv concurrently in \d+ ms\./)
    const list = await groundwork(['matviews', 'list', '--json'])
    expect(JSON.parse(list.stdout)).toMatchObject([
      { name: 'public.cli_mv', status: 'success', schedule: '0 * * * *' },
    ])
  })

  it('reports usage errors with exit code 2', async () => {
    const unknown = await groundwork(['jobs', 'explode'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('Unknown command "jobs explode"')
    const badFlag = await groundwork(['jobs', 'list', '--colour'])
    expect(badFlag.code).toBe(2)
    const noDb = await groundwork(['jobs', 'stats'], null)
    expect(noDb.code).toBe(2)
    expect(noDb.stderr).toContain('DATABASE_URL')
  })
})
