import {
  type Authenticate,
  type Database,
  encryptionKeysOption,
  type Logger,
  type OnError,
} from '@groundwork/core'
import {
  basePathOption,
  DEFAULT_MAX_JSON_DEPTH,
  databaseOption,
  functionOption,
  maxBodyBytesOption,
  optionsSchema,
} from '@groundwork/core/kit'
import { z } from 'zod'
import type { DeliveryMetrics } from './dispatch-task'
import { STANDARD_RETRY_SCHEDULE } from './schedule'

/** Options for {@link createWebhooks}. */
export interface WebhooksOptions {
  /** The core database: endpoints, secrets and the delivery outbox live in its schema `webhooks`. Required. */
  db: Database
  /** Resolves the caller of an admin request (the service role or an `admin` key is required). Without it the handler answers 403. @default none */
  authenticate?: Authenticate
  /**
   * Hosts exempt from the SSRF guard (private, loopback and link-local targets are refused
   * otherwise), by name or IP literal: `['127.0.0.1', 'localhost']` for a local receiver. The demo
   * reads them from `WEBHOOKS_ALLOW_HOSTS`.
   * @default []
   */
  allowHosts?: string[]
  /** Allow every private target (development only). @default false */
  allowPrivateTargets?: boolean
  /**
   * Milliseconds between attempts: after attempt n, wait `retrySchedule[n-1]` (± `retryJitter`);
   * past its end the delivery fails. @default the Standard Webhooks schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
   */
  retrySchedule?: number[]
  /** Spread of each retry delay, as a fraction (0.1 = ±10 %), so failed deliveries do not retry in lockstep. @default 0.1 */
  retryJitter?: number
  /** Milliseconds a receiver has to answer before the attempt counts as failed. @default 15000 */
  requestTimeout?: number
  /** Deliveries in flight per endpoint across all workers, for endpoints created without `max_concurrency`. @default 10 */
  maxConcurrency?: number
  /** Seconds the current secrets keep signing after a rotation (null: until deleted). @default 86400 (24 h) */
  rotationOverlap?: number | null
  /**
   * Keys (32 bytes, base64 or hex: `openssl rand -base64 32`) that encrypt signing secrets at rest
   * with AES-256-GCM (core's `createSecretBox`): the first seals new secrets, every one opens (list a
   * new key first to rotate). Secrets stored before a key was set stay readable as they are. The
   * demo reads them from `GROUNDWORK_ENCRYPTION_KEYS` (comma-separated).
   * @default [] (stored as generated, in the `webhooks` schema only the connecting role reads)
   */
  encryptionKeys?: string[]
  /** Records delivery outcomes and latency (core's `createMetrics()` result). @default none */
  metrics?: DeliveryMetrics
  /** Where delivery problems are logged. @default db.logger */
  logger?: Logger
  /** CORS for browsers on other origins: `true` any origin, `false` none, or a list. @default false (an admin API) */
  cors?: boolean | string[]
  /** Receives errors the handler could not map (it answers a generic 500). @default none */
  onError?: OnError
  /** Stripped from request paths before routing. @default '' */
  basePath?: string
  /** Largest admin request body, in bytes (413 `HTTP_PAYLOAD_TOO_LARGE` past it). @default 65536 */
  maxBodyBytes?: number
  /** Deepest JSON nesting of an admin request body. @default 16 */
  maxJsonDepth?: number
}

const positiveInt = z.number().int().positive()

/** The zod schema {@link WebhooksOptions} is validated with. */
export const webhooksOptionsSchema = optionsSchema<WebhooksOptions>()(
  z.object({
    db: databaseOption,
    authenticate: functionOption<Authenticate>().optional(),
    allowHosts: z.array(z.string().min(1).max(253)).default([]),
    allowPrivateTargets: z.boolean().default(false),
    retrySchedule: z
      .array(
        z
          .number()
          .int()
          .min(0)
          .max(7 * 24 * 3_600_000),
      )
      .max(50)
      .default([...STANDARD_RETRY_SCHEDULE]),
    retryJitter: z.number().min(0).max(1).default(0.1),
    requestTimeout: positiveInt.max(300_000).default(15_000),
    maxConcurrency: positiveInt.max(1000).default(10),
    rotationOverlap: z.number().int().min(0).max(31_536_000).nullable().default(86_400),
    encryptionKeys: encryptionKeysOption,
    metrics: z
      .custom<DeliveryMetrics>(
        (value) =>
          typeof value === 'object' &&
          value !== null &&
          typeof (value as DeliveryMetrics).recordWebhookDelivery === 'function',
        'must be a Metrics from createMetrics()',
      )
      .optional(),
    logger: z.custom<Logger>((value) => typeof value === 'object' && value !== null).optional(),
    cors: z.union([z.boolean(), z.array(z.string().min(1))]).default(false),
    onError: functionOption<OnError>().optional(),
    basePath: basePathOption,
    maxBodyBytes: maxBodyBytesOption(64 * 1024),
    maxJsonDepth: positiveInt.max(DEFAULT_MAX_JSON_DEPTH).default(16),
  }),
)

/** {@link WebhooksOptions} after validation and defaults. */
export type ResolvedWebhooksOptions = z.output<typeof webhooksOptionsSchema>
