import { createAuth } from '@groundwork/auth'
import {
  migrations as coreMigrations,
  createDatabase,
  type Database,
  type GroundworkService,
  migrate,
} from '@groundwork/core'
import { createJobs } from '@groundwork/jobs'
import { createMail, outboxTransport } from '@groundwork/mail'
import { createRealtime } from '@groundwork/realtime'
import { createRest } from '@groundwork/rest'
import { todoMigrations } from './todo-migrations'

/** Groundwork's services in this Next.js server. */
export interface Groundwork {
  db: Database
  auth: ReturnType<typeof createAuth>
  rest: ReturnType<typeof createRest>
  realtime: ReturnType<typeof createRealtime>
  /** Closes every service and the pool (tests; a server simply exits). */
  stop(): Promise<void>
}

const GLOBAL_KEY = Symbol.for('groundwork.example-nextjs')
type Holder = { [GLOBAL_KEY]?: Promise<Groundwork> }

/**
 * The services, created once per server process on first use (kept on `globalThis`, so dev-mode
 * reloads of route modules share them), migrated and started before the first request is
 * served. Configuration from the environment: `DATABASE_URL`, `JWT_SECRET`, `PUBLIC_URL`,
 * `AUTH_AUTOCONFIRM=true`, `GROUNDWORK_MIGRATE=false` to leave migrations to a deploy step
 * (`groundwork migrate`).
 */
export function groundwork(): Promise<Groundwork> {
  const holder = globalThis as Holder
  holder[GLOBAL_KEY] ??= boot().catch((error: unknown) => {
    delete holder[GLOBAL_KEY]
    throw error
  })
  return holder[GLOBAL_KEY]
}

async function boot(): Promise<Groundwork> {
  const { DATABASE_URL, JWT_SECRET } = process.env
  if (!DATABASE_URL) throw new Error('Set DATABASE_URL')
  if (!JWT_SECRET) throw new Error('Set JWT_SECRET (at least 32 characters)')
  const db = createDatabase({ connectionString: DATABASE_URL })
  const publicUrl = process.env.PUBLIC_URL ?? 'http://localhost:3000'
  const mail = createMail({ db, transport: outboxTransport(), from: 'Example <no-reply@example.com>' })
  const auth = createAuth({
    db,
    jwt: { secret: JWT_SECRET },
    siteUrl: publicUrl,
    mail: mail.api,
    mailerAutoconfirm: process.env.AUTH_AUTOCONFIRM === 'true',
  })
  const rest = createRest({ db, authenticate: auth.authenticate })
  const realtime = createRealtime({ db, authenticate: auth.authenticate })
  const contributors: GroundworkService[] = [auth, rest, realtime, mail]
  const jobs = createJobs({ db, tasks: contributors.flatMap((service) => service.tasks) })
  const services = [...contributors, jobs]
  if (process.env.GROUNDWORK_MIGRATE !== 'false') {
    await migrate(db, [coreMigrations, ...services.map((service) => service.migrations), todoMigrations()])
  }
  for (const service of services) await service.start()
  return {
    db,
    auth,
    rest,
    realtime,
    async stop() {
      for (const service of services.toReversed()) await service.close()
      await db.close()
    },
  }
}
