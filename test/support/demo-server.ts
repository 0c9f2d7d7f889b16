import type { AddressInfo } from 'node:net'
import { migrate } from '@groundwork/core'
import { createDemo, type Demo } from '@groundwork/example-express'
import { issueApiKeys } from '@groundwork/example-express/keys'
import { createTestDatabase, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'

/** The composed demo stack on a database of its own, listening on a free port. */
export interface RunningDemo {
  url: string
  anonKey: string
  serviceRoleKey: string
  demo: Demo
  database: TestDatabase
  stop(): Promise<void>
}

/** Boots the demo app exactly as `pnpm start` composes it, for end-to-end tests with real clients. */
export async function startDemo(): Promise<RunningDemo> {
  const database = await createTestDatabase()
  const listening: { url?: string } = {}
  const demo = createDemo({
    db: database.db,
    jwtSecret: TEST_JWT_SECRET,
    get publicUrl() {
      return listening.url ?? 'http://localhost'
    },
  })
  await migrate(database.db, demo.migrationSets)
  await demo.start()
  const server = demo.app.listen(0)
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  listening.url = url
  const keys = await issueApiKeys(TEST_JWT_SECRET)
  return {
    url,
    ...keys,
    demo,
    database,
    async stop() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await demo.stop()
      await database.drop()
    },
  }
}
