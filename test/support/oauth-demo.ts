import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createDemo, type DemoOptions } from '@groundwork/example-express'
import { prepareDatabase, runtimeDatabase } from '@groundwork/example-express/database'
import { createTestDatabase, TEST_JWT_SECRET } from '@groundwork/testing'
import { type RunningDemo, runningDemo } from './demo-server'

/**
 * Boots the demo as {@link startDemo} does, but binds the port first, so the public URL (and so
 * the OAuth issuer, which strict clients compare with the metadata) is known when the stack is
 * composed.
 */
export async function startOAuthDemo(
  options: Partial<Omit<DemoOptions, 'db' | 'jwtSecret' | 'publicUrl'>> = {},
): Promise<RunningDemo> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const database = await createTestDatabase()
  const runtime = await runtimeDatabase(database.db, database.url, TEST_JWT_SECRET)
  const demo = createDemo({
    devMailbox: true,
    ...options,
    db: runtime.db,
    jwtSecret: TEST_JWT_SECRET,
    publicUrl: url,
  })
  await prepareDatabase(database.db, demo, { jwtSecret: TEST_JWT_SECRET })
  await demo.start()
  server.on('request', demo.app)
  return runningDemo({ url, server, demo, database, runtime: runtime.db })
}
