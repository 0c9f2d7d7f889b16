import type { Authenticate, Database, Logger, OnError } from '@groundwork/core'
import {
  basePathOption,
  DEFAULT_MAX_JSON_DEPTH,
  databaseOption,
  functionOption,
  maxBodyBytesOption,
  optionsSchema,
} from '@groundwork/core/kit'
import { z } from 'zod'
import type { PushProvider } from './providers/provider'

/** Options for {@link createPush}. */
export interface PushOptions {
  /** The core database: devices, notifications and deliveries live in its schema `push`. Required. */
  db: Database
  /**
   * Deliver to devices: `fcmProvider(…)`, `apnsProvider(…)`, `devProvider()` or your own
   * `{ name, handles, send }`; each device kind (`fcm`, `apns`, `webpush`) is served by at most one.
   * A device no provider handles fails its deliveries with `PUSH_NO_PROVIDER` (the device stays).
   * @default [] (enqueue only: a process that never runs the delivery tasks, such as the CLI)
   */
  providers?: PushProvider[]
  /** Resolves the caller of a request (core's `createJwtAuthenticator`, or `auth.authenticate`). Without it the handler answers 403. @default none */
  authenticate?: Authenticate
  /** Devices per delivery job: a notification fans out into jobs of this many devices. @default 500 */
  batchSize?: number
  /** Sends one delivery job keeps in flight (the providers' connection limits also apply). @default 100 */
  sendConcurrency?: number
  /** Attempts of a delivery job before its still-retryable deliveries are marked failed (graphile-worker's backoff between them, never sooner than `Retry-After`). @default 10 */
  maxAttempts?: number
  /** A device not registered again (refreshed) for this long (ms) is disabled by the `push:disable-stale` task. @default 60 days */
  staleAfter?: number
  /** Where delivery failures and prunes are logged. @default db.logger */
  logger?: Logger
  /**
   * Serve `devHandler`, the dev page: every push the dev provider recorded, with its token and
   * payload. Every route requires the service-role key (through `authenticate`, which is then
   * required). Refused with a `ConfigError` when `NODE_ENV` is `production`; off, it answers 404.
   * @default false
   */
  devPage?: boolean
  /** CORS for browsers on other origins: `true` any origin (`*`, no credentials), `false` none, or a list of origins. @default true */
  cors?: boolean | string[]
  /** Receives errors the handlers could not map (they answer a generic 500). @default none */
  onError?: OnError
  /** Stripped from request paths (at a segment boundary) before routing, for frameworks that hand over the full URL. @default '' */
  basePath?: string
  /** Largest request body read, in bytes (a send naming 1000 users and 1000 devices is ~80 KB); a longer one is refused with 413 `HTTP_PAYLOAD_TOO_LARGE` while streaming. @default 262144 (256 KiB) */
  maxBodyBytes?: number
  /** Deepest JSON nesting a request body may have (400 `HTTP_JSON_TOO_DEEP` past it). @default 32 */
  maxJsonDepth?: number
}

const positiveInt = z.number().int().positive()

/** Default {@link PushOptions.maxBodyBytes}. */
export const DEFAULT_PUSH_MAX_BODY_BYTES = 256 * 1024

const providerOption = z.custom<PushProvider>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PushProvider).name === 'string' &&
    Array.isArray((value as PushProvider).handles) &&
    typeof (value as PushProvider).send === 'function',
  'must be a provider: fcmProvider(…), apnsProvider(…), devProvider() or an object with name, handles and send()',
)

/** The zod schema {@link PushOptions} is validated with. */
export const pushOptionsSchema = optionsSchema<PushOptions>()(
  z
    .object({
      db: databaseOption,
      providers: z
        .array(providerOption)
        .default([])
        .refine((providers) => {
          const kinds = providers.flatMap((provider) => [...provider.handles])
          return new Set(kinds).size === kinds.length
        }, 'serve each device kind (fcm, apns, webpush) with one provider'),
      authenticate: functionOption<Authenticate>().optional(),
      batchSize: positiveInt.max(10_000).default(500),
      sendConcurrency: positiveInt.max(10_000).default(100),
      maxAttempts: positiveInt.max(25).default(10),
      staleAfter: positiveInt.default(60 * 24 * 3600 * 1000),
      logger: z.custom<Logger>((value) => typeof value === 'object' && value !== null).optional(),
      devPage: z.boolean().default(false),
      cors: z.union([z.boolean(), z.array(z.string().min(1))]).default(true),
      onError: functionOption<OnError>().optional(),
      basePath: basePathOption,
      maxBodyBytes: maxBodyBytesOption(DEFAULT_PUSH_MAX_BODY_BYTES),
      maxJsonDepth: positiveInt.max(DEFAULT_MAX_JSON_DEPTH).default(32),
    })
    .refine((o) => !o.devPage || o.authenticate !== undefined, {
      message: 'is required with devPage: true (the dev page answers the service role only)',
      path: ['authenticate'],
    }),
)

/** {@link PushOptions} after validation and defaults. */
export type ResolvedPushOptions = z.output<typeof pushOptionsSchema>
