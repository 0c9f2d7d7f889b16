import { isGroundworkError, type JwtClaims, type Principal } from '@groundwork/core'
import { realtimeError } from './errors'
import type { RealtimeContext } from './internal/context'
import type { OpenConnection } from './internal/open-stream'
import { checkStreamRequest, type StreamRequest } from './subscriptions'

/** A table published with `realtime.enable()`. */
export interface PublishedTableInfo {
  schema: string
  table: string
  primaryKey: string[]
  enabledAt: Date
}

/** Counters for monitoring and benchmarks. */
export interface RealtimeStats {
  /** Open streams on this instance. */
  connections: number
  /** Change events written to streams since start. */
  delivered: number
  /** Highest change id this instance has dispatched. */
  cursor: number
  /** Batches of changes dispatched since start. */
  batches: number
  /** (identity, change) visibility decisions made by Postgres since start. */
  checks: number
  /** Total time (ms) spent waiting for visibility round trips. */
  visibilityMs: number
  /** Streams ended since start because their credentials ended (session, user or API key revoked). */
  revoked: number
}

/** Options of {@link RealtimeApi.openStream}. */
export interface OpenStreamOptions {
  /** Resume after this change id (the SSE `Last-Event-ID`): missed changes are replayed. @default null (live only) */
  lastEventId?: number | null
  /** Ends the stream when aborted (pass the request's signal). @default none */
  signal?: AbortSignal
}

/** An open change stream, from {@link RealtimeApi.openStream}. */
export interface RealtimeStream {
  /** The `text/event-stream` bytes: `retry:`, `ready`, changes, broadcast, presence, heartbeats. */
  readonly body: ReadableStream<Uint8Array>
  /** True once the stream ended (consumer gone, slow consumer, token expiry, revoked credentials, `close()`). */
  readonly closed: boolean
  /** Ends the stream with a final `disconnect` event carrying the resume point. */
  close(): void
}

/** The programmatic surface of `createRealtime` (`realtime.api`); the handler and the CLI call it. */
export interface RealtimeApi {
  /** Publishes a table's changes (`realtime.enable('schema.table')`). Idempotent. */
  enable(table: string): Promise<PublishedTableInfo>
  /** Stops publishing a table (`realtime.disable('schema.table')`). Idempotent. */
  disable(table: string): Promise<void>
  /** The published tables. */
  list(): Promise<PublishedTableInfo[]>
  /** Deletes changes and messages older than `olderThanMs` (default: the `retentionMs` option). */
  prune(options?: { olderThanMs?: number }): Promise<{ deleted: number }>
  /**
   * Sends a broadcast message to a channel. With `claims`, as that caller (the INSERT policies on
   * `realtime.messages` decide); without, as the service itself.
   */
  broadcast(
    message: { topic: string; event: string; payload?: unknown },
    options?: { claims?: JwtClaims & { role: string } },
  ): Promise<void>
  /**
   * Opens a change stream for `principal` (what the handler's `GET|POST /stream` answers with):
   * its tables (visibility by the tables' RLS policies, per logged change) and channels (broadcast
   * and presence, by the policies on `realtime.messages`). The stream ends with `event: error`
   * when the principal's session, user or API key is revoked (`groundwork_revocations`). Throws
   * `REALTIME_NOT_STARTED` before `start()`.
   *
   * @example
   * ```ts
   * const stream = await realtime.api.openStream(principal, { subscriptions: [{ table: 'todos' }], channels: [] })
   * return new Response(stream.body, { headers: { 'content-type': 'text/event-stream' } })
   * ```
   */
  openStream(
    principal: Principal,
    request: StreamRequest,
    options?: OpenStreamOptions,
  ): Promise<RealtimeStream>
  stats(): RealtimeStats
}

/** The api of the service whose parts `context` holds; streams open through `openConnection`. */
export function createRealtimeApi(context: RealtimeContext, openConnection: OpenConnection): RealtimeApi {
  const { db, options, changes, channels, connections, revocations } = context
  const api: RealtimeApi = {
    async enable(table) {
      await db.query('select realtime.enable($1)', [table]).catch(rethrowDatabaseError)
      await changes.loadPublished()
      const found = (await api.list()).find((info) => `${info.schema}.${info.table}` === normalise(table))
      if (!found) throw realtimeError('REALTIME_NOT_FOUND', `Table ${table} was not published`)
      return found
    },
    async disable(table) {
      await db.query('select realtime.disable($1)', [table]).catch(rethrowDatabaseError)
      await changes.loadPublished()
    },
    async list() {
      const { rows } = await db.query<{
        schema_name: string
        table_name: string
        pk_columns: string[]
        enabled_at: Date
      }>(
        'select schema_name, table_name, pk_columns, enabled_at from realtime.published order by schema_name, table_name',
      )
      return rows.map((row) => ({
        schema: row.schema_name,
        table: row.table_name,
        primaryKey: row.pk_columns,
        enabledAt: row.enabled_at,
      }))
    },
    async prune(opts = {}) {
      const olderThanMs = opts.olderThanMs ?? options.retentionMs
      const { rows } = await db.query<{ deleted: string }>(
        'select realtime.prune(make_interval(secs => $1::float8 / 1000)) as deleted',
        [olderThanMs],
      )
      return { deleted: Number(rows[0]?.deleted ?? 0) }
    },
    async broadcast(message, opts = {}) {
      await channels.broadcast(message, opts.claims ?? null).catch(rethrowDatabaseError)
    },
    async openStream(principal, request, opts = {}) {
      const connection = await openConnection(
        principal,
        checkStreamRequest(request),
        opts.lastEventId ?? null,
      ).catch(rethrowDatabaseError)
      const { signal } = opts
      if (signal?.aborted) connection.end('shutdown')
      else signal?.addEventListener('abort', () => connection.end('shutdown'), { once: true })
      return {
        body: connection.stream,
        get closed() {
          return connection.closed
        },
        close: () => connection.end('shutdown'),
      }
    },
    stats() {
      return {
        connections: connections.size,
        delivered: changes.delivered,
        cursor: changes.dispatchedThrough,
        batches: changes.batches,
        checks: changes.checks,
        visibilityMs: changes.visibilityMs,
        revoked: revocations.ended,
      }
    },
  }
  return api
}

function normalise(table: string): string {
  return table.includes('.') ? table : `public.${table}`
}

/**
 * Database errors a caller can cause, as this package's errors: a table that does not exist
 * (42P01), one without a primary key or another bad argument of `realtime.enable` (22023, 55000),
 * a role that does not exist (22023), text with NUL characters Postgres cannot store (22021 in
 * `text`, 22P05 in `jsonb`). Anything else is rethrown as it is (the handler's opaque 500).
 */
function rethrowDatabaseError(error: unknown): never {
  const code = (error as { code?: unknown } | null)?.code
  if (isGroundworkError(error) || typeof code !== 'string') throw error
  const message = (error as Error).message
  if (code === '42P01') throw realtimeError('REALTIME_NOT_FOUND', message, { cause: error })
  if (code === '22023' || code === '55000')
    throw realtimeError('REALTIME_INVALID_REQUEST', message, { cause: error })
  if (code === '22021' || code === '22P05') {
    throw realtimeError('REALTIME_INVALID_REQUEST', 'Text must not contain NUL (\\u0000) characters', {
      cause: error,
    })
  }
  throw error
}
