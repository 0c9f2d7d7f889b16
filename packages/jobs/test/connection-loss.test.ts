import { adminDatabaseUrl, createTestDatabase, type TestDatabase } from '@groundwork/testing'
import pg from 'pg'
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

describe('dropped connections', () => {
  it('survives every connection being terminated and keeps running jobs', async () => {
    const ran: number[] = []
    const task = defineTask({
      name: 'test:after-drop',
      schema: z.object({ n: z.number() }),
      async run({ n }) {
        ran.push(n)
      },
    })
    const errors: string[] = []
    const logger = { debug() {}, info() {}, warn() {}, error: (message: string) => errors.push(message) }
    const jobs = createJobs({ db: t.db, tasks: [task], pollInterval: 200, heartbeatInterval: 300, logger })
    await jobs.start()
    try {
      await jobs.api.add('test:after-drop', { n: 1 })
      await waitFor(async () => ran.includes(1))

      // Kill every backend of this database: idle pool clients and graphile-worker's LISTEN client.
      const admin = new pg.Client({ connectionString: adminDatabaseUrl() })
      await admin.connect()
      try {
        const { rows } = await admin.query<{ n: number }>(
          'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
          [t.name],
        )
        expect(rows[0]?.n).toBeGreaterThan(0)
      } finally {
        await admin.end()
      }

      // The host is still alive (no uncaught 'error'), and the runner recovers: a new job runs.
      await waitFor(
        async () => {
          try {
            await jobs.api.add('test:after-drop', { n: 2 })
            return true
          } catch {
            return false
          }
        },
        10_000,
        200,
      )
      await waitFor(async () => ran.includes(2), 20_000)
      expect(jobs.running).toBe(true)
      expect(errors.some((message) => /connection|terminat/i.test(message))).toBe(true)
    } finally {
      await jobs.close()
    }
  }, 40_000)
})
