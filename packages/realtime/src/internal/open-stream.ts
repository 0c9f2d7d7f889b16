import { randomUUID } from 'node:crypto'
import { assertAccess, type JwtClaims, type Principal } from '@groundwork/core'
import { realtimeError } from '../errors'
import type { StreamRequest } from '../subscriptions'
import { type ChannelSubscription, Connection } from './connection'
import type { RealtimeContext } from './context'
import { sseMessage, sseRetry } from './sse'
import { resolveTables } from './tables'

/** Claims that change with every token of the same caller: left out of the identity key. */
const STRIPPED_CLAIMS = new Set(['iat', 'exp', 'nbf', 'jti'])

/** Opens a stream for an authenticated principal; `lastEventId` resumes after that change. */
export type OpenConnection = (
  principal: Principal,
  request: StreamRequest,
  lastEventId: number | null,
) => Promise<Connection>

/**
 * Stream opening: resolves the tables and joins the channels (403 where policies say no), picks
 * the resume point (`Last-Event-ID` within retention, else live from the dispatch horizon, with
 * `resync-required` when the point was pruned), registers the connection with the hubs and sends
 * `retry:` and `ready`; then syncs and tracks presence and replays missed changes in the
 * background. Refused with `REALTIME_NOT_STARTED` unless `isStarted()`.
 */
export function createStreamOpener(context: RealtimeContext, isStarted: () => boolean): OpenConnection {
  const { db, options, logger, instanceId, changes, channels, connections, revocations } = context

  function assertStarted(): void {
    if (!isStarted()) throw realtimeError('REALTIME_NOT_STARTED', 'The realtime service is not started')
  }

  async function joinChannels(role: string, claims: JwtClaims, request: StreamRequest) {
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
    return joined
  }

  async function openConnection(
    principal: Principal,
    request: StreamRequest,
    lastEventId: number | null,
  ): Promise<Connection> {
    assertStarted()
    const openedAt = Date.now()
    const role = principal.role
    const claims: JwtClaims = { ...principal.claims, role }
    // Scopes and allowed tables (API keys): subscribing is a read of each table.
    assertAccess(
      principal,
      {
        operation: 'read',
        tables: request.subscriptions.map((sub) => `${sub.schema ?? 'public'}.${sub.table}`),
      },
      db.roles.service,
    )
    // The caller's checks (a revoked or expired API key): refused before the stream opens; later
    // revocations end it through the revocation channel.
    if (principal.checks && principal.checks.length > 0) {
      await db.withClaims(claims, async () => {}, { readOnly: true, checks: principal.checks })
    }
    const tables = await resolveTables(context, role, claims, request)
    const joined = await joinChannels(role, claims, request)
    let prunedThrough = 0
    if (lastEventId !== null) {
      const { rows } = await db.query<{ changes_pruned_through: string }>(
        'select changes_pruned_through from realtime.retention',
      )
      prunedThrough = Number(rows[0]?.changes_pruned_through ?? 0)
    }
    assertStarted()

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
      bufferSize: options.bufferSize,
      heartbeatMs: options.heartbeatMs,
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
    // Revoked while this stream was being opened: it ends at once, with its `error` event.
    if (revocations.endIfRevoked(connection, openedAt)) return connection

    connection.send(sseRetry(options.retryMs))
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
          const presences = await channels.sync(channel.topic, options.instanceStaleMs)
          connection.send(sseMessage('presence', { topic: channel.topic, type: 'sync', presences }))
        }
        if (channel.track && !connection.closed) {
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
        await changes.replay(connection, replayFrom, horizon, Math.min(options.batchSize, 500))
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

  return openConnection
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
