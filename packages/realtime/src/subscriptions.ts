import { z } from 'zod'
import { realtimeError } from './errors'

/** One table subscription as a client asks for it. */
export interface TableSubscriptionInput {
  /** @default 'public' */
  schema?: string
  table: string
  /** `*`, `INSERT`, `UPDATE` or `DELETE`. @default '*' */
  event?: string
  /** Supabase filter syntax, e.g. `list_id=eq.5`. */
  filter?: string
}

/** One channel a client joins: broadcast messages and presence of a topic. */
export interface ChannelSubscriptionInput {
  topic: string
  /** Track this connection's presence under `key` with `state` while the stream is open. */
  presence?: { key: string; state?: Record<string, unknown> }
}

/** Everything one stream subscribes to. */
export interface StreamRequest {
  subscriptions: TableSubscriptionInput[]
  channels: ChannelSubscriptionInput[]
}

/** Subscriptions per connection, tables plus channels. */
export const MAX_SUBSCRIPTIONS = 100

const tableInput = z.object({
  schema: z.string().min(1).max(63).optional(),
  table: z.string().min(1).max(63),
  event: z.string().optional(),
  filter: z.string().max(4000).optional(),
})
const channelInput = z.object({
  topic: z.string().min(1).max(255),
  presence: z
    .object({ key: z.string().min(1).max(255), state: z.record(z.string(), z.unknown()).optional() })
    .optional(),
})
const streamInput = z.object({
  subscriptions: z.array(tableInput).default([]),
  channels: z.array(channelInput).default([]),
})

/**
 * Reads a stream request from the query string (and, for `POST /stream`, a JSON body):
 *  - one table: `schema` (default `public`), `table`, `event` (default `*`), `filter`;
 *  - several: `subscriptions=<JSON array of { schema, table, event, filter }>`;
 *  - channels: `channel=<topic>` (repeatable) or `channels=<JSON array of { topic, presence }>`.
 */
export function parseStreamRequest(url: URL, body: unknown): StreamRequest {
  const params = url.searchParams
  const collected: { subscriptions: unknown[]; channels: unknown[] } = { subscriptions: [], channels: [] }
  const table = params.get('table')
  if (table !== null) {
    collected.subscriptions.push({
      schema: params.get('schema') ?? undefined,
      table,
      event: params.get('event') ?? undefined,
      filter: params.get('filter') ?? undefined,
    })
  } else if (params.has('filter') || params.has('event')) {
    throw realtimeError('REALTIME_INVALID_REQUEST', '`filter` and `event` need a `table`')
  }
  for (const raw of params.getAll('subscriptions'))
    collected.subscriptions.push(...jsonArray(raw, 'subscriptions'))
  for (const topic of params.getAll('channel')) collected.channels.push({ topic })
  for (const raw of params.getAll('channels')) collected.channels.push(...jsonArray(raw, 'channels'))
  if (body !== undefined) {
    if (typeof body !== 'object' || body === null) {
      throw realtimeError('REALTIME_INVALID_REQUEST', 'The body must be a JSON object')
    }
    const { subscriptions, channels } = body as { subscriptions?: unknown; channels?: unknown }
    if (subscriptions !== undefined) collected.subscriptions.push(...asArray(subscriptions, 'subscriptions'))
    if (channels !== undefined) collected.channels.push(...asArray(channels, 'channels'))
  }
  return checkStreamRequest(collected)
}

/**
 * Validates what a stream subscribes to (also for `api.openStream` callers): the shape of every
 * table and channel, at least one of them, at most {@link MAX_SUBSCRIPTIONS}.
 */
export function checkStreamRequest(value: unknown): StreamRequest {
  const parsed = streamInput.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw realtimeError(
      'REALTIME_INVALID_REQUEST',
      `Invalid subscription: ${issue?.path.map(String).join('.') || '(root)'} ${issue?.message ?? ''}`.trim(),
    )
  }
  const result = parsed.data as StreamRequest
  const total = result.subscriptions.length + result.channels.length
  if (total === 0) {
    throw realtimeError('REALTIME_INVALID_REQUEST', 'Subscribe to at least one table or channel', {
      hint: 'e.g. ?schema=public&table=todos&event=*&filter=list_id=eq.5',
    })
  }
  if (total > MAX_SUBSCRIPTIONS) {
    throw realtimeError('REALTIME_INVALID_REQUEST', `At most ${MAX_SUBSCRIPTIONS} subscriptions per stream`)
  }
  return result
}

function jsonArray(raw: string, name: string): unknown[] {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    throw realtimeError('REALTIME_INVALID_REQUEST', `\`${name}\` must be a JSON array`)
  }
  return asArray(value, name)
}

function asArray(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value))
    throw realtimeError('REALTIME_INVALID_REQUEST', `\`${name}\` must be a JSON array`)
  return value
}
