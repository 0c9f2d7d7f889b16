import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { addJob, createJobs, defineTask } from '../src/index'
import { jobCount, waitFor } from './helpers'

let t: TestDatabase
beforeAll(async () => {
  t = await createTestDatabase()
})
afterAll(async () => {
  await t.drop()
})

describe('typed tasks', () => {
  it('runs a typed job added through jobs.add with the parsed payload', async () => {
    const seen: { n: number; tag: string }[] = []
    const double = defineTask({
      name: 'test:double',
      schema: z.object({ n: z.number(), tag: z.string().default('none') }),
      async run(payload) {
        seen.push(payload)
      },
    })
    const jobs = createJobs({ db: t.db, tasks: [double], pollInterval: 200 })
    await jobs.start()
    try {
      const job = await jobs.api.add('test:double', { n: 21 })
      expect(job.task).toBe('test:double')
      await waitFor(async () => seen.length === 1)
      expect(seen[0]).toEqual({ n: 21, tag: 'none' })
      await waitFor(async () => (await jobCount(t.db, 'test:double')) === 0)
    } finally {
      await jobs.close()
    }
  })

  it('rejects an invalid payload at add time with JOBS_INVALID_PAYLOAD', async () => {
    const task = defineTask({
      name: 'test:strict',
      schema: z.object({ id: z.string().uuid() }),
      async run() {},
    })
    const jobs = createJobs({ db: t.db, tasks: [task] })
    await expect(jobs.api.add('test:strict', { id: 'nope' })).rejects.toMatchObject({
      code: 'JOBS_INVALID_PAYLOAD',
      status: 400,
    })
    await expect(jobs.api.add('test:missing' as never, {} as never)).rejects.toMatchObject({
      code: 'JOBS_UNKNOWN_TASK',
    })
    expect(await jobCount(t.db, 'test:strict')).toBe(0)
  })

  it('fails a job whose stored payload does not match the schema permanently, without retries', async () => {
    const runs: unknown[] = []
    const task = defineTask({
      name: 'test:validated',
      schema: z.object({ id: z.number() }),
      async run(payload) {
        runs.push(payload)
      },
    })
    const jobs = createJobs({ db: t.db, tasks: [task], pollInterval: 200 })
    await jobs.start()
    try {
      // Raw add (no schema check), as SQL or another service might enqueue.
      const job = await addJob(t.db, 'test:validated', { id: 'not-a-number' }, { maxAttempts: 5 })
      const failed = await waitFor(async () => {
        const { rows } = await t.db.query(
          'select attempts, max_attempts, last_error from graphile_worker.jobs where id = $1',
          [job.id],
        )
        return rows[0]?.last_error ? rows[0] : null
      })
      expect(failed.attempts).toBe(1)
      expect(failed.max_attempts).toBe(1)
      expect(failed.last_error).toMatch(/Invalid payload for task "test:validated"/)
      expect(runs).toEqual([])
    } finally {
      await jobs.close()
    }
  })
})

describe('transactional outbox', () => {
  it('never runs a job added in a transaction that rolled back, and runs one that committed', async () => {
    const ran: string[] = []
    const task = defineTask({
      name: 'test:outbox',
      schema: z.object({ label: z.string() }),
      async run({ label }) {
        ran.push(label)
      },
    })
    const jobs = createJobs({ db: t.db, tasks: [task], pollInterval: 200 })
    await expect(
      t.db.transaction(async (tx) => {
        await jobs.api.add(tx, 'test:outbox', { label: 'rolled-back' })
        throw new Error('sign-up failed')
      }),
    ).rejects.toThrow('sign-up failed')
    await t.db.transaction(async (tx) => {
      await addJob(tx, task, { label: 'committed' })
    })
    await jobs.start()
    try {
      await waitFor(async () => ran.includes('committed'))
      // Give the runner time to pick anything else that might exist.
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect(ran).toEqual(['committed'])
      expect(await jobCount(t.db, 'test:outbox')).toBe(0)
    } finally {
      await jobs.close()
    }
  })
})

describe('start() on an unmigrated database', () => {
  it('fails with JOBS_NOT_MIGRATED and a hint', async () => {
    const bare = await createTestDatabase({ migrated: false })
    try {
      const jobs = createJobs({ db: bare.db })
      await expect(jobs.start()).rejects.toMatchObject({
        code: 'JOBS_NOT_MIGRATED',
        hint: expect.stringMatching(/migrate/),
      })
      expect(jobs.running).toBe(false)
    } finally {
      await bare.drop()
    }
  })
})
