import { resolve } from 'node:path'
import { createAuth, type SocialOptions } from '@groundwork/auth'
import {
  composeHandlers,
  migrations as coreMigrations,
  createJwtAuthenticator,
  createMetrics,
  type Database,
  type GroundworkService,
  type MigrationSet,
} from '@groundwork/core'
import { toNodeHandler } from '@groundwork/core/node'
import { createGeo } from '@groundwork/geo'
import { createJobs } from '@groundwork/jobs'
import { createMail, outboxTransport, smtpTransport } from '@groundwork/mail'
import { createOAuthProvider } from '@groundwork/oauth-provider'
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
import { createWebhooks } from '@groundwork/webhooks'
import express, { type Express } from 'express'
import * as promClient from 'prom-client'
import { demoMigrations } from './demo-migrations'
import type { DemoPush, DemoSmtp, DemoStorage } from './env'
import { consentPage } from './oauth-consent'

/** The demo's environment reader (`PORT`, `DATABASE_URL`, `PGRST_*`…), for hosts and tests composing it. */
export { readEnv } from './env'

import { healthRoute } from './health'
import { observability } from './observability'
import { webMigrations, webRoutes } from './web'

/** Where the demo serves its OAuth consent page. */
export const OAUTH_CONSENT_PATH = '/oauth/consent'

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
  /** Social sign-in providers for `/auth/v1`, e.g. `readEnv().social` (`GOTRUE_EXTERNAL_*`, `AUTH_OIDC_*`); docs/auth.md#social-sign-in. @default none */
  social?: SocialOptions
  /** The OAuth provider under `/auth/v1/oauth` (docs/oauth-provider.md), e.g. `readEnv().oauth` (`OAUTH_*`). @default { dynamicRegistration: false } */
  oauth?: { dynamicRegistration?: boolean | undefined }
  /** `/admin/webhooks`, e.g. `readEnv().webhooks` (`WEBHOOKS_ALLOW_HOSTS`: hosts exempt from the SSRF guard). @default { allowHosts: [] } */
  webhooks?: { allowHosts?: string[] | undefined }
  /** Keys that encrypt TOTP seeds, webhook signing secrets and id_token signing keys at rest, e.g. `readEnv().encryptionKeys` (`GROUNDWORK_ENCRYPTION_KEYS`). @default [] */
  encryptionKeys?: string[] | undefined
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
    encryptionKeys: options.encryptionKeys ?? [],
    siteUrl: options.publicUrl,
    externalUrl: `${options.publicUrl}/auth/v1`,
    additionalRedirectUrls: ['http://localhost:*/**', 'http://127.0.0.1:*/**'],
    mail: mail.api,
    anonymousSignIns: true,
    // Social sign-in (callback `<public URL>/auth/v1/callback`) and MFA (TOTP, on by default).
    ...(options.social ? { social: options.social } : {}),
  })
  // The OAuth 2.1 / OIDC provider on auth: issuer `<public URL>/auth/v1`, where Supabase serves it;
  // its consent page is the demo's own (below).
  const oauth = createOAuthProvider({
    db,
    auth,
    issuer: `${options.publicUrl}/auth/v1`,
    consentUrl: OAUTH_CONSENT_PATH,
    dynamicRegistration: options.oauth?.dynamicRegistration ?? false,
    encryptionKeys: options.encryptionKeys ?? [],
  })
  // Geo plugs into rest (st_* filters, nearest-first order, GeoJSON, tiles) and serves /geo/v1/tiles;
  // without PostGIS (the embedded default) it reports so at start and answers geo features with 501.
  const geo = createGeo({ db, rest: () => rest })
  const rest = createRest({ db, authenticate: auth.authenticate, ...options.rest, extensions: [geo.rest] })
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
  // Prometheus metrics (served at /metrics): every mounted handler is wrapped by `observe` below.
  const metrics = createMetrics({ client: promClient })
  const webhooks = createWebhooks({
    db,
    authenticate,
    allowHosts: options.webhooks?.allowHosts ?? [],
    encryptionKeys: options.encryptionKeys ?? [],
    metrics,
  })
  const contributors: GroundworkService[] = [rest, geo, auth, oauth, realtime, mail, storage, push, webhooks]
  const jobs = createJobs({ db, tasks: contributors.flatMap((service) => service.tasks), authenticate })
  // Jobs last: its runner starts once everything that enqueues is up, and stops first.
  const services: GroundworkService[] = [...contributors, jobs]

  const app = express()
  app.disable('x-powered-by')
  // X-Request-Id, request metrics by route and status, spans: /health, /health/ready, /metrics (docs/observability.md).
  const watch = observability({ app, db, metrics, jobs, realtime, services })
  // One /auth/v1: the OAuth provider's routes (/oauth/*, /admin/oauth/*, /user/oauth/*, /.well-known/*), then GoTrue's.
  app.use('/auth/v1', toNodeHandler(watch(composeHandlers(oauth.handler, auth.handler), 'auth')))
  // RFC 8414 / RFC 9728 metadata at the host root, and the consent page the authorization endpoint sends browsers to.
  app.get(
    [
      '/.well-known/oauth-authorization-server/auth/v1',
      '/.well-known/openid-configuration/auth/v1',
      '/.well-known/oauth-protected-resource/rest/v1',
    ],
    toNodeHandler(oauth.wellKnownHandler([`${options.publicUrl}/rest/v1`])),
  )
  app.get(OAUTH_CONSENT_PATH, consentPage('/auth/v1'))
  app.use('/rest/v1', toNodeHandler(watch(rest.handler, 'rest')))
  app.use('/geo/v1', toNodeHandler(watch(geo.handler, 'geo'))) // GET /geo/v1/tiles/{schema}.{table}/{z}/{x}/{y}.mvt
  app.use('/realtime/v1', toNodeHandler(watch(realtime.handler, 'realtime')))
  app.use('/storage/v1', toNodeHandler(watch(storage.handler, 'storage')))
  app.use('/push/v1', toNodeHandler(watch(push.handler, 'push')))
  app.use('/admin/mail', toNodeHandler(watch(mail.handler, 'mail')))
  app.use('/admin/webhooks', toNodeHandler(watch(webhooks.handler, 'webhooks')))
  app.use('/admin', toNodeHandler(watch(jobs.handler, 'jobs'))) // /admin/jobs, /admin/schedules, /admin/matviews, /admin/runs
  if (options.devMailbox) app.use('/mail', toNodeHandler(mail.mailboxHandler))
  if (options.push?.devPage) app.use('/push/dev', toNodeHandler(push.devHandler))
  app.get('/health', healthRoute(db))
  // The browser todo app (examples/web) at `/`, and the anon key it needs at `/config.json`.
  app.use(webRoutes({ jwtSecret: options.jwtSecret }))

  return {
    app,
    services,
    migrationSets: [
      coreMigrations,
      ...services.map((service) => service.migrations),
      demoMigrations(),
      webMigrations(),
    ],
    async start() {
      // Daily `push:disable-stale`; created once, so an operator's later edits are kept.
      await jobs.api.schedules.create({ ...STALE_DEVICES_SCHEDULE }).catch((error: { code?: string }) => {
        if (error.code !== 'JOBS_SCHEDULE_EXISTS') throw error
      })
      for (const service of services) await service.start()
    },
    async stop() {
      for (const service of services.toReversed()) await service.close()
      await watch.close()
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
