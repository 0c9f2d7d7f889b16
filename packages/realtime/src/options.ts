import type { Authenticate, Database, Logger, OnError } from '@groundwork/core'
import { z } from 'zod'

/** Options for {@link createRealtime}. */
export interface RealtimeOptions {
  /** The core database. The service keeps one extra dedicated connection for LISTEN. */
  db: Database
  /** Resolves the caller of a request (core's `createJwtAuthenticator`, or `auth.authenticate`). */
  authenticate: Authenticate
  /** Stripped from request paths before routing, for frameworks that hand over the full URL. @default '' */
  basePath?: string
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
  /** Receives errors the handler could not map (it answers a generic 500). */
  onError?: OnError
}

const positiveInt = z.number().int().positive()

/** The zod schema {@link RealtimeOptions} is validated with. */
export const realtimeOptionsSchema = z
  .object({
    db: z.custom<Database>(
      (value) => typeof value === 'object' && value !== null && 'pool' in value && 'withClaims' in value,
      'must be a Database from createDatabase()',
    ),
    authenticate: z.custom<Authenticate>((value) => typeof value === 'function', 'must be a function'),
    basePath: z
      .string()
      .regex(/^(\/[^/]+)*$/, 'must be empty or start with / and not end with /')
      .default(''),
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
    onError: z.custom<OnError>((value) => typeof value === 'function', 'must be a function').optional(),
  })
  .refine((o) => o.instanceStaleMs > o.instanceHeartbeatMs, {
    message: 'must be greater than instanceHeartbeatMs',
    path: ['instanceStaleMs'],
  })

/** {@link RealtimeOptions} after validation and defaults. */
export type ResolvedRealtimeOptions = z.output<typeof realtimeOptionsSchema>
