import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createTestDatabase, sourceForkArgv, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { addJob, createJobs, defineTask } from '../src/index'
import { waitFor } from './helpers'

let t: TestDatabase
let child: ChildProcess | undefined
beforeAll(async () => {
  t = await createTestDatabase()
})
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
  await t.drop()
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

describe('dead-worker recovery', () => {
  it('retries the job of a runner killed with SIGKILL mid-job, well under a minute', async () => {
    child = fork(fileURLToPath(new URL('./fixtures/doomed-worker.ts', import.meta.url)), {
      env: { ...process.env, JOBS_TEST_DATABASE_URL: t.url },
      execArgv: sourceForkArgv(),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    await messageFrom(child, 'ready')
    const started = messageFrom(child, 'started')
    const job = await addJob(t.db, 'test:long', { label: 'survivor' })
    const begun = await started
    expect(begun.jobId).toBe(job.id)
    const { rows: locked } = await t.db.query<{ locked_by: string }>(
      'select locked_by from graphile_worker.jobs where id = $1',
      [job.id],
    )
    const deadWorker = locked[0]?.locked_by
    expect(deadWorker).toBeTruthy()
    const { rows: beats } = await t.db.query('select instance_id from jobs.workers where worker_id = $1', [
      deadWorker,
    ])
    expect(beats[0]?.instance_id).toBe('doomed')

    const killedAt = Date.now()
    child.kill('SIGKILL')
    await new Promise((resolve) => child?.once('exit', resolve))

    const completed: { label: string; attempt: number }[] = []
    const long = defineTask({
      name: 'test:long',
      schema: z.object({ label: z.string() }),
      async run({ label }, ctx) {
        completed.push({ label, attempt: ctx.job.attempt })
      },
    })
    const rescuer = createJobs({
      db: t.db,
      tasks: [long],
      pollInterval: 200,
      heartbeatInterval: 500,
      staleAfter: 2000,
    })
    await rescuer.start()
    try {
      await waitFor(async () => completed.length === 1, 50_000, 100)
      const recoveredIn = Date.now() - killedAt
      expect(recoveredIn).toBeLessThan(20_000)
      expect(completed[0]).toEqual({ label: 'survivor', attempt: 2 })
      await waitFor(async () => {
        const { rows } = await t.db.query(
          'select count(*)::int as n from graphile_worker.jobs where id = $1',
          [job.id],
        )
        return rows[0]?.n === 0
      })
      // The lost attempt is in the history, attributed to the dead worker.
      const runs = await waitFor(async () => {
        const page = await rescuer.api.listRuns({ jobId: job.id })
        return page.items.length === 2 ? page.items : null
      })
      const lost = runs.find((run) => run.attempt === 1)
      expect(lost).toMatchObject({ outcome: 'failure', workerId: deadWorker })
      expect(lost?.error).toMatch(/stopped heartbeating/)
      const { rows: left } = await t.db.query(
        "select count(*)::int as n from jobs.workers where instance_id = 'doomed'",
      )
      expect(left[0]?.n).toBe(0)
    } finally {
      await rescuer.close()
    }
  }, 60_000)
})
