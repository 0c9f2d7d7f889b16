import { createAuth } from '@groundwork/auth'
import {
  migrations as coreMigrations,
  createJwtAuthenticator,
  type Database,
  type GroundworkService,
  type MigrationSet,
} from '@groundwork/core'
import { toNodeHandler } from '@groundwork/core/node'
import { createJobs } from '@groundwork/jobs'
import { createMail, outboxTransport, smtpTransport } from '@groundwork/mail'
import { createRealtime } from '@groundwork/realtime'
import { createRest } from '@groundwork/rest'
import express, { type Express } from 'express'
import { demoMigrations } from './demo-migrations'
import type { DemoSmtp } from './env'
import { healthRoute } from './health'

/** What the demo needs to compose the stack. */
export interface DemoOptions {
  /** The database the services run on (in production: a non-superuser connecting role). */
  db: Database
  /** HS256 secret shared by the issued keys and every package that verifies tokens. */
  jwtSecret: string
  /** The URL clients reach the server at (for links in mail). */
  publicUrl: string
  /** Deliver mail over SMTP instead of the dev outbox. */
  smtp?: DemoSmtp | undefined
  /** Sender of the demo's mail. @default 'Groundwork demo <no-reply@groundwork.local>' */
  mailFrom?: string
  /** Serve the dev mailbox at `/mail` (every mail sent, service_role key required). Never in production. @default false */
  devMailbox?: boolean
}

/** The composed demo: an Express app, every service, and the migrations of everything mounted. */
export interface Demo {
  app: Express
  /** The services, in start order (closed in reverse). */
  services: readonly GroundworkService[]
  /** Core's, every service's and the demo's own migrations, in order. */
  migrationSets: MigrationSet[]
  /** Starts every service's background work. Call after migrating. */
  start(): Promise<void>
  /** Closes every service, last started first. Does not close `db`. */
  stop(): Promise<void>
}

/**
 * Composes every Groundwork package into one Express 5 app, the way a host application would
 * (DESIGN §6): `/auth/v1`, `/rest/v1`, `/realtime/v1`, the admin endpoints, the dev mailbox when
 * enabled, and `GET /health`. Every package is a `GroundworkService`, so migrations, background
 * tasks, start and shutdown are one loop over them.
 */
export function createDemo(options: DemoOptions): Demo {
  const { db } = options
  // Tokens issued by /auth/v1 (and the printed anon / service_role keys) are HS256 JWTs signed with
  // the shared secret; the admin APIs check them the same way.
  const authenticate = createJwtAuthenticator({ secret: options.jwtSecret })

  const mail = createMail({
    db,
    transport: options.smtp ? smtpTransport({ ...options.smtp }) : outboxTransport(),
    from: options.mailFrom ?? 'Groundwork demo <no-reply@groundwork.local>',
    siteUrl: options.publicUrl,
    authenticate,
    devMailbox: options.devMailbox ?? false,
  })
  const auth = createAuth({
    db,
    jwt: { secret: options.jwtSecret },
    siteUrl: options.publicUrl,
    externalUrl: `${options.publicUrl}/auth/v1`,
    additionalRedirectUrls: ['http://localhost:*/**', 'http://127.0.0.1:*/**'],
    mail: mail.api,
    anonymousSignIns: true,
  })
  const rest = createRest({ db, authenticate: auth.authenticate })
  const realtime = createRealtime({ db, authenticate: auth.authenticate })
  const contributors: GroundworkService[] = [rest, auth, realtime, mail]
  const jobs = createJobs({ db, tasks: contributors.flatMap((service) => service.tasks), authenticate })
  // Jobs last: its runner starts once everything that enqueues is up, and stops first.
  const services: GroundworkService[] = [...contributors, jobs]

  const app = express()
  app.disable('x-powered-by')
  app.use('/auth/v1', toNodeHandler(auth.handler))
  app.use('/rest/v1', toNodeHandler(rest.handler))
  app.use('/realtime/v1', toNodeHandler(realtime.handler))
  app.use('/admin/mail', toNodeHandler(mail.handler))
  app.use('/admin', toNodeHandler(jobs.handler)) // /admin/jobs, /admin/schedules, /admin/matviews, /admin/runs
  if (options.devMailbox) app.use('/mail', toNodeHandler(mail.mailboxHandler))
  app.get('/health', healthRoute(db))

  return {
    app,
    services,
    migrationSets: [coreMigrations, ...services.map((service) => service.migrations), demoMigrations()],
    async start() {
      for (const service of services) await service.start()
    },
    async stop() {
      for (const service of services.toReversed()) await service.close()
    },
  }
}
