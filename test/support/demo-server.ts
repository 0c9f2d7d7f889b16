import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Database } from '@groundwork/core'
import { createDemo, type Demo, type DemoOptions } from '@groundwork/example-express'
import { prepareDatabase, runtimeDatabase } from '@groundwork/example-express/database'
import { issueApiKeys } from '@groundwork/example-express/keys'
import { createTestDatabase, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'

/** The composed demo stack on a database of its own, listening on a free port. */
export interface RunningDemo {
  url: string
  anonKey: string
  serviceRoleKey: string
  demo: Demo
  /** The test database (its `db` connects as the superuser that migrated it). */
  database: TestDatabase
  /** What the services run on: the non-superuser connecting role, as in `pnpm start`. */
  runtime: Database
  stop(): Promise<void>
}

/**
 * Boots the demo app exactly as `pnpm start` composes it — migrated by the superuser, served as the
 * `groundwork_app` connecting role — for end-to-end tests with real clients.
 */
export async function startDemo(
  options: Partial<Omit<DemoOptions, 'db' | 'jwtSecret'>> = {},
): Promise<RunningDemo> {
  const database = await createTestDatabase()
  const runtime = await runtimeDatabase(database.db, database.url, TEST_JWT_SECRET)
  const listening: { url?: string } = {}
  const demo = createDemo({
    devMailbox: true,
    ...options,
    db: runtime.db,
    jwtSecret: TEST_JWT_SECRET,
    get publicUrl() {
      return listening.url ?? 'http://localhost'
    },
  })
  await prepareDatabase(database.db, demo, { jwtSecret: TEST_JWT_SECRET })
  await demo.start()
  const server = demo.app.listen(0)
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  listening.url = url
  return runningDemo({ url, server, demo, database, runtime: runtime.db })
}

/**
 * The handle of a demo that is serving on `server` at `url`: its API keys, and a `stop` that
 * closes the server, the demo and the databases.
 */
export async function runningDemo(parts: {
  url: string
  server: Server
  demo: Demo
  database: TestDatabase
  runtime: Database
}): Promise<RunningDemo> {
  const { server, demo, database, runtime } = parts
  const keys = await issueApiKeys(TEST_JWT_SECRET)
  return {
    url: parts.url,
    ...keys,
    demo,
    database,
    runtime,
    async stop() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await demo.stop()
      if (runtime !== database.db) await runtime.close()
      await database.drop()
    },
  }
}
