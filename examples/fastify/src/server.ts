import { randomBytes } from 'node:crypto'
import { createDatabase, migrate } from '@groundwork/core'
import { type EmbeddedPostgres, startEmbeddedPostgres } from '@groundwork/core/embedded'
import { SignJWT } from 'jose'
import { createApp } from './app'

/**
 * `pnpm --filter @groundwork/example-fastify start`: PORT (3001), DATABASE_URL (an embedded
 * PostgreSQL when unset), JWT_SECRET (generated when unset), PUBLIC_URL, AUTH_AUTOCONFIRM=true
 * to skip confirmation mail. Migrates, serves, prints the anon key.
 */
async function main() {
  const port = Number(process.env.PORT ?? 3001)
  const jwtSecret = process.env.JWT_SECRET ?? randomBytes(32).toString('base64url')
  let embedded: EmbeddedPostgres | undefined
  let url = process.env.DATABASE_URL
  if (!url) {
    embedded = await startEmbeddedPostgres()
    url = embedded.url
  }
  const db = createDatabase({ connectionString: url })
  const example = await createApp({
    db,
    jwtSecret,
    publicUrl: process.env.PUBLIC_URL ?? `http://localhost:${port}`,
    autoconfirm: process.env.AUTH_AUTOCONFIRM === 'true',
  })
  await migrate(db, example.services.migrationSets)
  await example.start()
  await example.app.listen({ port, host: '0.0.0.0' })
  const anonKey = await new SignJWT({ role: 'anon' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('10y')
    .sign(new TextEncoder().encode(jwtSecret))
  console.log(`Groundwork on Fastify: http://localhost:${port}\n  anon key: ${anonKey}`)
  const shutdown = async () => {
    await example.stop()
    await db.close()
    await embedded?.stop()
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown())
  process.on('SIGTERM', () => void shutdown())
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
