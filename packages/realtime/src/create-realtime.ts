import { randomUUID } from 'node:crypto'
import type { Database, JwtClaims, Principal } from '@groundwork/core'
import { parseOptions } from '@groundwork/core/kit'
import { z } from 'zod'
import { realtimeError } from './errors'
import { parseFilter } from './filters'
import { createRealtimeHandler } from './handler'
import { ChangeHub, type ChangeRow } from './internal/change-hub'
import { ChannelHub, type MessageRow } from './internal/channel-hub'
import { type ChannelSubscription, Connection, type TableSubscription } from './internal/connection'
import { Listener } from './internal/listener'
import { CHANGES_PAGE_SQL, LogTailer, MESSAGES_PAGE_SQL, writerQueries } from './internal/log-tailer'
import { sseMessage, sseRetry } from './internal/sse'
import { type RealtimeOptions, type ResolvedRealtimeOptions, realtimeOptionsSchema } from './options'
import type { StreamRequest } from './subscriptions'

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
}

/** The programmatic surface of {@link createRealtime} (the admin handler and the CLI call it). */
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
  stats(): RealtimeStats
}

/** A task for `@groundwork/jobs` (structurally a `defineTask()` result; realtime does not depend on jobs). */
export interface RealtimePruneTask {
  readonly name: 'realtime:prune'
  readonly schema: z.ZodType<{ olderThanMs?: number | undefined }>
  readonly run: (payload: { olderThanMs?: number | undefined }) => Promise<void>
}

/** What {@link createRealtime} returns. */
export interface Realtime {
  /** Web-standard handler: `GET|POST /stream`, `POST /broadcast`, admin `…/tables`, `POST /prune`. */
  handler: (request: Request) => Promise<Response>
  api: RealtimeApi
  /** `realtime:prune` for `createJobs({ tasks: [...realtime.tasks] })`, to schedule retention. */
  tasks: readonly [RealtimePruneTask]
  /** Opens the LISTEN connection and starts reading the logs. Streams answer 503 until then. */
  start(): Promise<void>
  /** Ends every stream (each with its resume point), leaves presence, closes the LISTEN connection. */
  close(): Promise<void>
  /** Resolves when everything committed so far has been dispatched (for tests and benchmarks). */
  drain(): Promise<void>
}

const STRIPPED_CLAIMS = new Set(['iat', 'exp', 'nbf', 'jti'])

/**
 * Creates the realtime service: database change streams over SSE, visibility decided by Postgres
 * RLS per subscriber identity (one round trip per batch), resume by `Last-Event-ID`, bounded
 * per-subscriber buffers, and broadcast + presence channels authorized by policies on
 * `realtime.messages`.
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
  const resolved: ResolvedRealtimeOptions = parseOptions(realtimeOptionsSchema, options, 'createRealtime')
  const db: Database = resolved.db
  const logger = resolved.logger ?? db.logger
  const instanceId = resolved.instanceId ?? randomUUID()
  const changes = new ChangeHub(db, logger, resolved.visibilityConcurrency)
  const channels = new ChannelHub(db)
  const connections = new Set<Connection>()
  let changeTailer: LogTailer<ChangeRow> | null = null
  let messageTailer: LogTailer<MessageRow> | null = null
  let listener: Listener | null = null
  let heartbeat: NodeJS.Timeout | null = null
  let state: 'new' | 'starting' | 'started' | 'closed' = 'new'
  let starting: Promise<void> | null = null

  async function start(): Promise<void> {
    if (state === 'closed') throw realtimeError('REALTIME_CLOSED', 'This realtime service was closed')
    starting ??= (async () => {
      state = 'starting'
      await changes.loadPublished()
      const { rows } = await db.query<{ changes: string; messages: string }>(
        `select (select coalesce(max(id), 0) from realtime.changes) as changes,
                (select coalesce(max(id), 0) from realtime.messages) as messages`,
      )
      const cursors = rows[0] as { changes: string; messages: string }
      changeTailer = new LogTailer<ChangeRow>(
        {
          db: db.pool,
          sql: CHANGES_PAGE_SQL,
          batchSize: resolved.batchSize,
          gapPollMs: resolved.gapPollMs,
          onBatch: (batch) => changes.dispatch(batch),
          writers: writerQueries(1),
          onError: (error) => logger.error('realtime: reading realtime.changes failed', error),
        },
        Number(cursors.changes),
      )
      changes.dispatchedThrough = Number(cursors.changes)
      messageTailer = new LogTailer<MessageRow>(
        {
          db: db.pool,
          sql: MESSAGES_PAGE_SQL,
          batchSize: resolved.batchSize,
          gapPollMs: resolved.gapPollMs,
          onBatch: (batch) => channels.dispatch(batch),
          writers: writerQueries(2),
          onError: (error) => logger.error('realtime: reading realtime.messages failed', error),
        },
        Number(cursors.messages),
      )
      await channels.heartbeat(instanceId, resolved.instanceStaleMs)
      heartbeat = setInterval(() => {
        channels
          .heartbeat(instanceId, resolved.instanceStaleMs)
          .catch((error) => logger.warn('realtime: instance heartbeat failed', error))
      }, resolved.instanceHeartbeatMs)
      heartbeat.unref?.()
      listener = new Listener({
        pool: db.pool,
        channels: ['realtime_changes', 'realtime_messages', 'realtime_published'],
        logger,
        onNotification: (channel) => {
          if (channel === 'realtime_changes') changeTailer?.notify()
          else if (channel === 'realtime_messages') messageTailer?.notify()
          else
            changes
              .loadPublished()
              .catch((error) => logger.warn('realtime: reloading published tables failed', error))
        },
        onConnect: () => {
          // Catch up on whatever was appended while the LISTEN connection was down.
          changes
            .loadPublished()
            .catch((error) => logger.warn('realtime: reloading published tables failed', error))
          changeTailer?.notify()
          messageTailer?.notify()
        },
      })
      await listener.start()
      state = 'started'
    })()
    try {
      await starting
    } catch (error) {
      starting = null
      state = 'new'
      throw error
    }
  }

  async function close(): Promise<void> {
    if (state === 'closed') return
    const wasStarted = state !== 'new'
    state = 'closed'
    if (heartbeat) clearInterval(heartbeat)
    changeTailer?.stop()
    messageTailer?.stop()
    for (const connection of [...connections]) connection.end('shutdown')
    await listener?.close()
    await changeTailer?.idle()
    await messageTailer?.idle()
    await changes.settled()
    if (wasStarted) {
      await channels
        .leaveAll(instanceId)
        .catch((error) => logger.warn('realtime: leaving presence failed', error))
    }
  }

  async function drain(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      changeTailer?.notify()
      messageTailer?.notify()
      await changeTailer?.idle()
      await messageTailer?.idle()
      await changes.settled()
    }
  }

  /** Opens a stream for an authenticated principal (the handler's `GET|POST /stream`). */
  async function openStream(
    principal: Principal,
    request: StreamRequest,
    lastEventId: number | null,
  ): Promise<Connection> {
    if (state !== 'started')
      throw realtimeError('REALTIME_NOT_STARTED', 'The realtime service is not started')
    const role = principal.role
    const claims: JwtClaims = { ...principal.claims, role }
    const tables = await resolveTables(role, claims, request)
    const joined: ChannelSubscription[] = []
    for (const input of request.channels) {
      const allowed = await channels.authorize(role, claims, input.topic, input.presence !== undefined)
      if (!allowed.broadcast && !allowed.presence) {
        throw realtimeError('REALTIME_FORBIDDEN', `Not allowed to join channel "${input.topic}"`, {
          hint: 'Add a SELECT policy on realtime.messages for this topic (realtime.topic())',
        })
      }
      if (input.presence && !allowed.track) {
        throw realtimeError(
          'REALTIME_FORBIDDEN',
          `Not allowed to track presence on channel "${input.topic}"`,
          {
            hint: "Add an INSERT policy on realtime.messages for extension = 'presence'",
          },
        )
      }
      joined.push({
        topic: input.topic,
        broadcast: allowed.broadcast,
        presence: allowed.presence,
        track: input.presence
          ? { key: input.presence.key, ref: randomUUID(), state: input.presence.state ?? {} }
          : null,
      })
    }
    let prunedThrough = 0
    if (lastEventId !== null) {
      const { rows } = await db.query<{ changes_pruned_through: string }>(
        'select changes_pruned_through from realtime.retention',
      )
      prunedThrough = Number(rows[0]?.changes_pruned_through ?? 0)
    }
    if (state !== 'started')
      throw realtimeError('REALTIME_NOT_STARTED', 'The realtime service is not started')

    const exp = typeof principal.claims.exp === 'number' ? principal.claims.exp * 1000 : null
    const identity: JwtClaims = {}
    for (const [key, value] of Object.entries(claims)) if (!STRIPPED_CLAIMS.has(key)) identity[key] = value
    // From here on everything up to `horizon` is delivered by replay, everything after it live.
    const horizon = changes.dispatchedThrough
    const resume = lastEventId !== null && lastEventId < horizon && lastEventId >= prunedThrough
    const connection = new Connection({
      role,
      claims: identity,
      claimsKey: `${role}\u0000${stableStringify(identity)}`,
      tables,
      channels: joined,
      lastId: resume ? (lastEventId as number) : Math.max(horizon, lastEventId ?? 0),
      bufferSize: resolved.bufferSize,
      heartbeatMs: resolved.heartbeatMs,
      expiresAt: exp,
      onClose: (closed) => {
        connections.delete(closed)
        changes.remove(closed)
        channels.remove(closed)
        for (const channel of closed.channels) {
          if (channel.track) {
            channels
              .untrack(channel.topic, channel.track.ref)
              .catch((error) => logger.warn('realtime: presence leave failed', error))
          }
        }
      },
    })
    connection.replaying = resume
    connections.add(connection)
    changes.add(connection)
    channels.add(connection)

    connection.send(sseRetry(resolved.retryMs))
    const ready = {
      subscriptions: tables.map((sub) => ({
        schema: sub.schema,
        table: sub.table,
        event: sub.event,
        filter: sub.filterText,
      })),
      channels: joined.map((channel) => ({
        topic: channel.topic,
        broadcast: channel.broadcast,
        presence: channel.presence,
        presence_ref: channel.track?.ref ?? null,
      })),
      resumed: resume,
    }
    if (lastEventId !== null && lastEventId < prunedThrough) {
      connection.sendMarker(
        sseMessage(
          'resync-required',
          {
            reason: 'retention',
            last_event_id: String(lastEventId),
            pruned_through: String(prunedThrough),
          },
          horizon,
        ),
        horizon,
      )
    }
    if (resume) connection.send(sseMessage('ready', ready))
    else {
      // A resume point from beyond the horizon (another database, a client bug) stays where it was.
      const position = connection.lastId
      connection.sendMarker(sseMessage('ready', ready, position), position)
    }

    void afterOpen(connection, resume ? (lastEventId as number) : null, horizon)
    return connection
  }

  async function afterOpen(connection: Connection, replayFrom: number | null, horizon: number) {
    try {
      for (const channel of connection.channels) {
        if (channel.presence) {
          const presences = await channels.sync(channel.topic, resolved.instanceStaleMs)
          connection.send(sseMessage('presence', { topic: channel.topic, type: 'sync', presences }))
        }
        if (channel.track) {
          await channels.track(
            instanceId,
            channel.topic,
            channel.track.key,
            channel.track.ref,
            channel.track.state,
          )
        }
      }
      if (replayFrom !== null) {
        await changes.replay(connection, replayFrom, horizon, Math.min(resolved.batchSize, 500))
        if (connection.closed) return
        connection.sendMarker(sseMessage('replayed', { through: String(horizon) }, horizon), horizon)
        const backlog = connection.backlog
        connection.backlog = []
        connection.replaying = false
        for (const item of backlog) connection.send(item.frame, item.id)
      }
    } catch (error) {
      logger.error('realtime: opening a stream failed', error)
      connection.end('error')
    }
  }

  async function resolveTables(
    role: string,
    claims: JwtClaims,
    request: StreamRequest,
  ): Promise<TableSubscription[]> {
    if (request.subscriptions.length === 0) return []
    const subs: TableSubscription[] = []
    const relids: number[] = []
    for (const input of request.subscriptions) {
      const schema = input.schema ?? 'public'
      let published = changes.publishedTable(schema, input.table)
      if (!published) {
        // Just enabled elsewhere? The reload on its NOTIFY may not have happened yet.
        await changes.loadPublished()
        published = changes.publishedTable(schema, input.table)
      }
      if (!published) {
        throw realtimeError(
          'REALTIME_TABLE_NOT_PUBLISHED',
          `Table ${schema}.${input.table} is not published`,
          {
            hint: `Publish it with select realtime.enable('${schema}.${input.table}') or groundwork realtime enable`,
          },
        )
      }
      const event = (input.event ?? '*').toUpperCase()
      if (event !== '*' && event !== 'INSERT' && event !== 'UPDATE' && event !== 'DELETE') {
        throw realtimeError(
          'REALTIME_INVALID_REQUEST',
          `Unknown event "${input.event}" (use *, INSERT, UPDATE or DELETE)`,
        )
      }
      const filterText = input.filter && input.filter !== '' ? input.filter : null
      subs.push({
        schema,
        table: input.table,
        event,
        filter: filterText ? parseFilter(filterText) : [],
        filterText,
      })
      relids.push(published.relid)
    }
    const { rows } = await db.withClaims(
      claims,
      (tx) =>
        tx.query<{ relid: string; allowed: boolean; columns: string[] }>(
          `select r.relid::text as relid, has_table_privilege(r.relid::oid, 'SELECT') as allowed,
                  array(select attname::text from pg_catalog.pg_attribute
                         where attrelid = r.relid::oid and attnum > 0 and not attisdropped) as columns
             from unnest($1::int8[]) as r(relid)`,
          [relids],
        ),
      { readOnly: true },
    )
    const byRelid = new Map(rows.map((row) => [Number(row.relid), row]))
    subs.forEach((sub, index) => {
      const info = byRelid.get(relids[index] as number)
      if (!info?.allowed) {
        throw realtimeError('REALTIME_FORBIDDEN', `Permission denied for table ${sub.schema}.${sub.table}`, {
          hint: `grant select on ${sub.schema}.${sub.table} to ${role}`,
        })
      }
      const columns = new Set(info.columns)
      for (const condition of sub.filter) {
        if (!columns.has(condition.column)) {
          throw realtimeError(
            'REALTIME_UNKNOWN_COLUMN',
            `Column "${condition.column}" does not exist in ${sub.schema}.${sub.table}`,
          )
        }
      }
    })
    void role
    return subs
  }

  const api: RealtimeApi = {
    async enable(table) {
      await db.query('select realtime.enable($1)', [table])
      await changes.loadPublished()
      const found = (await api.list()).find((info) => `${info.schema}.${info.table}` === normalise(table))
      if (!found) throw realtimeError('REALTIME_NOT_FOUND', `Table ${table} was not published`)
      return found
    },
    async disable(table) {
      await db.query('select realtime.disable($1)', [table])
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
      const olderThanMs = opts.olderThanMs ?? resolved.retentionMs
      const { rows } = await db.query<{ deleted: string }>(
        'select realtime.prune(make_interval(secs => $1::float8 / 1000)) as deleted',
        [olderThanMs],
      )
      return { deleted: Number(rows[0]?.deleted ?? 0) }
    },
    async broadcast(message, opts = {}) {
      await channels.broadcast(message, opts.claims ?? null)
    },
    stats() {
      return {
        connections: connections.size,
        delivered: changes.delivered,
        cursor: changes.dispatchedThrough,
        batches: changes.batches,
        checks: changes.checks,
        visibilityMs: changes.visibilityMs,
      }
    },
  }

  const pruneTask: RealtimePruneTask = {
    name: 'realtime:prune',
    schema: z.object({ olderThanMs: z.number().int().positive().optional() }),
    async run(payload) {
      await api.prune(payload.olderThanMs === undefined ? {} : { olderThanMs: payload.olderThanMs })
    },
  }

  const handler = createRealtimeHandler({
    api,
    authenticate: resolved.authenticate,
    basePath: resolved.basePath,
    serviceRole: db.roles.service,
    maxQueryTokenTtl: resolved.maxQueryTokenTtl,
    openStream,
    onError: resolved.onError,
  })

  return { handler, api, tasks: [pruneTask], start, close, drain }
}

function normalise(table: string): string {
  return table.includes('.') ? table : `public.${table}`
}

/** JSON with object keys sorted, so equal claims give equal keys whatever their order. */
function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    )
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}
