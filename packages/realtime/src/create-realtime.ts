import { randomUUID } from 'node:crypto'
import type { GroundworkService, MigrationSet, ServiceHandler } from '@groundwork/core'
import { parseOptions } from '@groundwork/core/kit'
import { createRealtimeApi, type RealtimeApi } from './api'
import { createRealtimeHandler } from './handler'
import { ChangeHub } from './internal/change-hub'
import { ChannelHub } from './internal/channel-hub'
import type { Connection } from './internal/connection'
import type { RealtimeContext } from './internal/context'
import { createLifecycle } from './internal/lifecycle'
import { createStreamOpener } from './internal/open-stream'
import { Revocations } from './internal/revocations'
import { migrations } from './migrations'
import { type RealtimeOptions, realtimeOptionsSchema } from './options'
import { createPruneTask, type RealtimePruneTask } from './tasks'

/** What {@link createRealtime} returns: a `GroundworkService` plus `drain()`. */
export interface Realtime extends GroundworkService<RealtimeApi> {
  readonly name: 'realtime'
  /** `enable`, `disable`, `list`, `prune`, `broadcast`, `openStream`, `stats`. */
  readonly api: RealtimeApi
  /** Web-standard handler over `api`: `GET|POST /stream`, `POST /broadcast`, admin `…/tables`, `POST /prune`. */
  readonly handler: ServiceHandler
  /** The `realtime` MigrationSet (also exported as `migrations`). */
  readonly migrations: MigrationSet
  /** `realtime:prune` for `createJobs({ tasks: [...realtime.tasks] })`, to schedule retention. */
  readonly tasks: readonly [RealtimePruneTask]
  /** Opens the LISTEN connection and starts reading the logs. Streams answer 503 until then. */
  start(): Promise<void>
  /** Ends every stream (each with its resume point), leaves presence, closes the LISTEN connection. Idempotent. */
  close(): Promise<void>
  /** Resolves when everything committed so far has been dispatched (for tests and benchmarks). */
  drain(): Promise<void>
}

/**
 * Creates the realtime service: database change streams over SSE, visibility decided by the
 * table's RLS policies on each logged row, per subscriber identity (one round trip per batch),
 * resume by `Last-Event-ID`, bounded per-subscriber buffers, streams that end when their
 * credentials do (`groundwork_revocations`), and broadcast + presence channels authorized by
 * policies on `realtime.messages`.
 *
 * It composes the parts: the shared {@link RealtimeContext} (hubs, open connections), the
 * lifecycle (tailers, LISTEN, heartbeat), stream opening, the api, and the handler over the api.
 *
 * @example
 * ```ts
 * const realtime = createRealtime({ db, authenticate: createJwtAuthenticator({ secret }) })
 * await realtime.api.enable('public.todos')
 * await realtime.start()
 * app.use('/realtime/v1', toNodeHandler(realtime.handler))
 * // GET /realtime/v1/stream?table=todos&filter=list_id=eq.5  →  text/event-stream
 * ```
 * @see https://github.com/groundwork/groundwork/blob/main/docs/realtime.md
 */
export function createRealtime(options: RealtimeOptions): Realtime {
  const resolved = parseOptions(realtimeOptionsSchema, options, 'createRealtime')
  const { db } = resolved
  const logger = resolved.logger ?? db.logger
  const connections = new Set<Connection>()
  const context: RealtimeContext = {
    db,
    options: resolved,
    logger,
    instanceId: resolved.instanceId ?? randomUUID(),
    changes: new ChangeHub(db, logger, resolved.visibilityConcurrency),
    channels: new ChannelHub(db),
    connections,
    revocations: new Revocations(db, connections, logger),
  }
  const lifecycle = createLifecycle(context)
  const api = createRealtimeApi(
    context,
    createStreamOpener(context, () => lifecycle.started),
  )
  const handler = createRealtimeHandler({
    api,
    authenticate: resolved.authenticate,
    basePath: resolved.basePath,
    serviceRole: db.roles.service,
    maxQueryTokenTtl: resolved.maxQueryTokenTtl,
    limits: { maxBytes: resolved.maxBodyBytes, maxJsonDepth: resolved.maxJsonDepth },
    cors: resolved.cors,
    onError: resolved.onError,
  })

  return {
    name: 'realtime',
    api,
    handler,
    migrations,
    tasks: [createPruneTask(api)],
    start: () => lifecycle.start(),
    close: () => lifecycle.close(),
    drain: () => lifecycle.drain(),
  }
}
