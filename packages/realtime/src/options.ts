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

/** Options for {@link createRealtime}. */
export interface RealtimeOptions {
  /** The core database. The service keeps one extra dedicated connection for LISTEN. Required. */
  db: Database
  /** Resolves the caller of a request (core's `createJwtAuthenticator`, or `auth.authenticate`). Required. */
  authenticate: Authenticate
  /** Stripped from request paths (at a segment boundary) before routing, for frameworks that hand over the full URL. @default '' */
  basePath?: string
  /**
   * CORS for browsers on other origins (`EventSource`, `fetch`): `true` any origin (`*`, no
   * credentials), `false` none, or a list of origins. @default true
   */
  cors?: boolean | string[]
  /** Interval (ms) of the SSE comment heartbeat on idle streams. @default 15000 */
  heartbeatMs?: number
  /** The `retry:` reconnection hint (ms) sent at the start of every stream. @default 2000 */
  retryMs?: number
  /** Messages one subscriber may have waiting; past it the slow consumer is disconnected with its resume point. Keep it well above `batchSize`: one batch is written at once. @default 5000 */
  bufferSize?: number
  /** Log rows read (and visibility-checked) per round trip. @default 500 */
  batchSize?: number
  /** Visibility queries a batch may run in parallel (subscriber identities are split between them); each uses a pool connection. @default 2 */
  visibilityConcurrency?: number
  /** How often (ms) a gap left by a still-running transaction is re-checked. @default 20 */
  gapPollMs?: number
  /** A `token` query parameter (for `EventSource`, which cannot send headers) must expire within this many seconds. @default 3600 */
  maxQueryTokenTtl?: number
  /** Age (ms) past which `prune()` and the prune task delete changes and messages. @default 86400000 (24 h) */
  retentionMs?: number
  /** How often (ms) this instance records its heartbeat (presence of crashed instances is reaped). @default 5000 */
  instanceHeartbeatMs?: number
  /** An instance silent this long (ms) is considered dead: its presence entries leave. Must exceed `instanceHeartbeatMs`. @default 20000 */
  instanceStaleMs?: number
  /** Identifies this process in `realtime.instances`. @default a random id */
  instanceId?: string
  /** Where LISTEN reconnects and dispatch failures are reported. @default db.logger */
  logger?: Logger
  /** Receives errors the handler could not map (it answers a generic 500). @default none */
  onError?: OnError
  /** Largest request body read (`POST /stream`, `/broadcast`, admin), in bytes; a longer one is refused with 413 `HTTP_PAYLOAD_TOO_LARGE` while streaming. @default 65536 (64 KiB) */
  maxBodyBytes?: number
  /** Deepest JSON nesting a request body (a broadcast payload) may have (400 `HTTP_JSON_TOO_DEEP` past it). @default 128 */
  maxJsonDepth?: number
}

const positiveInt = z.number().int().positive()

/** Default {@link RealtimeOptions.maxBodyBytes}: subscriptions and broadcast messages are small. */
export const DEFAULT_REALTIME_MAX_BODY_BYTES = 64 * 1024

/** The zod schema {@link RealtimeOptions} is validated with. */
export const realtimeOptionsSchema = optionsSchema<RealtimeOptions>()(
  z
    .object({
      db: databaseOption,
      authenticate: functionOption<Authenticate>(),
      basePath: basePathOption,
      cors: z.union([z.boolean(), z.array(z.string().min(1))]).default(true),
      heartbeatMs: positiveInt.default(15_000),
      retryMs: positiveInt.default(2000),
      bufferSize: positiveInt.max(1_000_000).default(5000),
      batchSize: positiveInt.max(100_000).default(500),
      visibilityConcurrency: positiveInt.max(64).default(2),
      gapPollMs: positiveInt.default(20),
      maxQueryTokenTtl: positiveInt.default(3600),
      retentionMs: positiveInt.default(24 * 3600 * 1000),
      instanceHeartbeatMs: positiveInt.default(5000),
      instanceStaleMs: positiveInt.default(20_000),
      instanceId: z.string().min(1).max(200).optional(),
      logger: z.custom<Logger>((value) => typeof value === 'object' && value !== null).optional(),
      onError: functionOption<OnError>().optional(),
      maxBodyBytes: maxBodyBytesOption(DEFAULT_REALTIME_MAX_BODY_BYTES),
      maxJsonDepth: positiveInt.max(100_000).default(DEFAULT_MAX_JSON_DEPTH),
    })
    .refine((o) => o.instanceStaleMs > o.instanceHeartbeatMs, {
      message: 'must be greater than instanceHeartbeatMs',
      path: ['instanceStaleMs'],
    }),
)

/** {@link RealtimeOptions} after validation and defaults. */
export type ResolvedRealtimeOptions = z.output<typeof realtimeOptionsSchema>
