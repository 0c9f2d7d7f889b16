import { createAuth } from '@groundwork/auth'
import {
  migrations as coreMigrations,
  createJwtAuthenticator,
  type Database,
  type MigrationSet,
} from '@groundwork/core'
import { toNodeHandler } from '@groundwork/core/node'
import { createJobs } from '@groundwork/jobs'
import { createMail, outboxTransport, smtpTransport } from '@groundwork/mail'
import { createRealtime, migrations as realtimeMigrations } from '@groundwork/realtime'
import { createRest, migrations as restMigrations } from '@groundwork/rest'
import express, { type Express } from 'express'
import { demoMigrations } from './demo-migrations'
import { healthRoute } from './health'

/** What the demo needs to compose the stack. */
export interface DemoOptions {
  db: Database
  /** HS256 secret shared by the issued keys and every package that verifies tokens. */
  jwtSecret: string
  /** The URL clients reach the server at (for links in mail). */
  publicUrl: string
  /** Deliver mail over SMTP instead of the dev outbox (served at `/mail`). */
  smtp?: { host: string; port: number; secure?: boolean; auth?: { user: string; pass: string } }
}

/** The composed demo: an Express app, the migrations of everything mounted, and background services. */
export interface Demo {
  app: Express
  migrationSets: MigrationSet[]
  /** Starts background work (job runner, realtime listener). Call after migrating. */
  start(): Promise<void>
  stop(): Promise<void>
}

/**
 * Composes every Groundwork package into one Express 5 app, the way a host application would
 * (DESIGN §6): `/auth/v1`, `/rest/v1`, `/realtime/v1`, the admin endpoints, and `GET /health`.
 */
export function createDemo(options: DemoOptions): Demo {
  const { db } = options
  const app = express()
  app.disable('x-powered-by')
  const migrationSets: MigrationSet[] = [coreMigrations]
  const starters: (() => Promise<void>)[] = []
  const stoppers: (() => Promise<void>)[] = []

  // Tokens issued by /auth/v1 (and the printed anon / service_role keys) are HS256 JWTs signed with
  // the shared secret; every package checks them the same way.
  const authenticate = createJwtAuthenticator({ secret: options.jwtSecret })

  const mail = createMail({
    db,
    transport: options.smtp ? smtpTransport(options.smtp) : outboxTransport(),
    from: 'Groundwork demo <no-reply@groundwork.local>',
    siteUrl: options.publicUrl,
    authenticate,
    devMailbox: !options.smtp,
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
  const jobs = createJobs({ db, tasks: [...mail.tasks, ...auth.tasks, ...realtime.tasks], authenticate })

  migrationSets.push(jobs.migrations, mail.migrations, auth.migrations, restMigrations, realtimeMigrations)

  app.use('/auth/v1', toNodeHandler(auth.handler))
  app.use('/rest/v1', toNodeHandler(rest.handler))
  app.use('/realtime/v1', toNodeHandler(realtime.handler))
  app.use('/admin/mail', toNodeHandler(mail.handler))
  app.use('/admin', toNodeHandler(jobs.handler)) // /admin/jobs, /admin/schedules, /admin/matviews, /admin/runs
  if (!options.smtp) app.use('/mail', toNodeHandler(mail.mailboxHandler))

  starters.push(
    () => jobs.start(),
    () => realtime.start(),
  )
  // Stopped in reverse: the job runner first, then realtime streams, then the rest.
  stoppers.push(
    () => mail.close(),
    () => rest.close(),
    () => realtime.close(),
    () => jobs.close(),
  )

  migrationSets.push(demoMigrations())
  app.get('/health', healthRoute(db))

  return {
    app,
    migrationSets,
    async start() {
      for (const start of starters) await start()
    },
    async stop() {
      for (const stop of stoppers.reverse()) await stop()
    },
  }
}
