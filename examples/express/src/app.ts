import { resolve } from 'node:path'
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
import {
  apnsProvider,
  createPush,
  devProvider,
  fcmProvider,
  type PushProvider,
  STALE_DEVICES_SCHEDULE,
} from '@groundwork/push'
import { createRealtime } from '@groundwork/realtime'
import { createRest, type RestEnvOptions } from '@groundwork/rest'
import { createStorage, localBackend, s3Backend } from '@groundwork/storage'
import express, { type Express } from 'express'
import { demoMigrations } from './demo-migrations'
import type { DemoPush, DemoSmtp, DemoStorage } from './env'

/** The demo's environment reader (`PORT`, `DATABASE_URL`, `PGRST_*`…), for hosts and tests composing it. */
export { readEnv } from './env'

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
  /** Where `/storage/v1` keeps bytes, e.g. `readEnv().storage`. @default { kind: 'local', root: '.groundwork/storage' } */
  storage?: DemoStorage
  /** PostgREST settings for `/rest/v1`, e.g. `readEnv().rest` (from `PGRST_*`). @default {} */
  rest?: RestEnvOptions
  /** Push providers for `/push/v1`, e.g. `readEnv().push` (from `PUSH_*`); none configured: the dev provider. @default dev provider, no dev page */
  push?: DemoPush
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
  const rest = createRest({ db, authenticate: auth.authenticate, ...options.rest })
  const realtime = createRealtime({ db, authenticate: auth.authenticate })
  const storageConfig = options.storage ?? { kind: 'local', root: '.groundwork/storage' }
  const storage = createStorage({
    db,
    authenticate: auth.authenticate,
    // Supabase signs storage URLs with the project's JWT secret; so does the demo.
    signingSecret: options.jwtSecret,
    backend:
      storageConfig.kind === 's3'
        ? s3Backend({ ...storageConfig })
        : localBackend({ root: resolve(storageConfig.root) }),
  })
  const push = createPush({
    db,
    authenticate: auth.authenticate,
    providers: pushProviders(options.push),
    devPage: options.push?.devPage ?? false,
  })
  const contributors: GroundworkService[] = [rest, auth, realtime, mail, storage, push]
  const jobs = createJobs({ db, tasks: contributors.flatMap((service) => service.tasks), authenticate })
  // Jobs last: its runner starts once everything that enqueues is up, and stops first.
  const services: GroundworkService[] = [...contributors, jobs]

  const app = express()
  app.disable('x-powered-by')
  app.use('/auth/v1', toNodeHandler(auth.handler))
  app.use('/rest/v1', toNodeHandler(rest.handler))
  app.use('/realtime/v1', toNodeHandler(realtime.handler))
  app.use('/storage/v1', toNodeHandler(storage.handler))
  app.use('/push/v1', toNodeHandler(push.handler))
  app.use('/admin/mail', toNodeHandler(mail.handler))
  app.use('/admin', toNodeHandler(jobs.handler)) // /admin/jobs, /admin/schedules, /admin/matviews, /admin/runs
  if (options.devMailbox) app.use('/mail', toNodeHandler(mail.mailboxHandler))
  if (options.push?.devPage) app.use('/push/dev', toNodeHandler(push.devHandler))
  app.get('/health', healthRoute(db))

  return {
    app,
    services,
    migrationSets: [coreMigrations, ...services.map((service) => service.migrations), demoMigrations()],
    async start() {
      // Daily `push:disable-stale`; created once, so an operator's later edits are kept.
      await jobs.api.schedules.create({ ...STALE_DEVICES_SCHEDULE }).catch((error: { code?: string }) => {
        if (error.code !== 'JOBS_SCHEDULE_EXISTS') throw error
      })
      for (const service of services) await service.start()
    },
    async stop() {
      for (const service of services.toReversed()) await service.close()
    },
  }
}

/** `PUSH_*` → providers: FCM and/or APNs when configured, else the dev provider (recorded, shown at `/push/dev`). */
function pushProviders(config: DemoPush | undefined): PushProvider[] {
  const providers: PushProvider[] = []
  if (config?.fcm) providers.push(fcmProvider({ credentials: config.fcm.credentials, url: config.fcm.url }))
  if (config?.apns) {
    const { host, ...apns } = config.apns
    providers.push(apnsProvider({ ...apns, ...(host ? { hosts: { production: host, sandbox: host } } : {}) }))
  }
  return providers.length > 0 ? providers : [devProvider()]
}
