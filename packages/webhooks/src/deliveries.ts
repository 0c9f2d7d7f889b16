import { type Database, recordAudit } from '@groundwork/core'
import { type AdminContext, auditOf, UUID } from './endpoints'
import { webhooksError } from './errors'

/** Where a delivery is: waiting (`pending`, also between retries), `sending`, `delivered`, or `failed` for good. */
export type DeliveryStatus = 'pending' | 'sending' | 'delivered' | 'failed'

/** One delivery of a message to an endpoint, with its last attempt. */
export interface Delivery {
  id: string
  endpointId: string
  /** The message id, sent as `webhook-id` (the same on every attempt and on a redelivery). */
  eventId: string
  /** `INSERT`, `UPDATE`, `DELETE`, or `webhook.test`. */
  eventType: string
  status: DeliveryStatus
  attempts: number
  /** The receiver's last HTTP status; null before the first answer or on a network error. */
  responseStatus: number | null
  /** The first KiB of the receiver's last answer. */
  responseBody: string | null
  /** Why the last attempt got no answer (timeout, connection refused, SSRF refusal). */
  lastError: string | null
  /** When a pending delivery is next due. */
  nextAttemptAt: string | null
  createdAt: string
  updatedAt: string
  deliveredAt: string | null
  /** The body sent (`{ type, timestamp, data }`); only with `includePayload`. */
  payload?: unknown
}

/** Options of `webhooks.api.deliveries`. */
export interface ListDeliveriesOptions {
  /** Only deliveries in this state. */
  status?: DeliveryStatus | undefined
  /** Only deliveries with an id below this one (the next page: the last id of the previous page). */
  before?: string | undefined
  /** @default 50, at most 1000 */
  limit?: number | undefined
  /** Include each delivery's payload. @default false */
  includePayload?: boolean | undefined
}

interface DeliveryRow {
  id: string
  endpoint_id: string
  message_id: string
  event_type: string
  status: DeliveryStatus
  attempts: number
  response_status: number | null
  response_body: string | null
  last_error: string | null
  next_attempt_at: Date
  created_at: Date
  updated_at: Date
  delivered_at: Date | null
  payload?: unknown
}

const COLUMNS = `d.id::text, d.endpoint_id::text, d.message_id, d.event_type, d.status, d.attempts, d.response_status,
  d.response_body, d.last_error, d.next_attempt_at, d.created_at, d.updated_at, d.delivered_at`

const STATUSES = new Set(['pending', 'sending', 'delivered', 'failed'])

function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    eventId: row.message_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    responseStatus: row.response_status,
    responseBody: row.response_body,
    lastError: row.last_error,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    deliveredAt: row.delivered_at?.toISOString() ?? null,
    ...(row.payload === undefined ? {} : { payload: row.payload }),
  }
}

/** `webhooks.api.deliveries`: an endpoint's deliveries, newest first; null when there is no such endpoint. */
export async function listDeliveries(
  db: Database,
  endpointId: string,
  options: ListDeliveriesOptions = {},
): Promise<Delivery[] | null> {
  if (!UUID.test(endpointId)) return null
  if (options.status !== undefined && !STATUSES.has(options.status)) {
    throw webhooksError('WEBHOOKS_INVALID_REQUEST', '`status` must be pending, sending, delivered or failed')
  }
  if (options.before !== undefined && !/^\d{1,18}$/.test(options.before)) {
    throw webhooksError('WEBHOOKS_INVALID_REQUEST', '`before` must be a delivery id')
  }
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? 50), 1), 1000)
  const { rows: found } = await db.query('select 1 from webhooks.endpoints where id = $1', [endpointId])
  if (found.length === 0) return null
  const { rows } = await db.query<DeliveryRow>(
    `select ${COLUMNS}${options.includePayload ? ', d.payload' : ''} from webhooks.deliveries d
      where d.endpoint_id = $1 and ($2::text is null or d.status = $2) and ($3::bigint is null or d.id < $3)
      order by d.id desc limit $4`,
    [endpointId, options.status ?? null, options.before ?? null, limit],
  )
  return rows.map(toDelivery)
}

/** One delivery of an endpoint, with its payload; null when there is none. */
export async function readDelivery(
  db: Database,
  endpointId: string,
  deliveryId: string,
): Promise<Delivery | null> {
  if (!UUID.test(endpointId) || !/^\d{1,18}$/.test(deliveryId)) return null
  const { rows } = await db.query<DeliveryRow>(
    `select ${COLUMNS}, d.payload from webhooks.deliveries d where d.endpoint_id = $1 and d.id = $2`,
    [endpointId, deliveryId],
  )
  return rows[0] ? toDelivery(rows[0]) : null
}

/**
 * Inserts a delivery of endpoint `endpointId` (`insert`, returning the delivery's columns), wakes
 * the endpoint's dispatcher and records `action` in the audit log, in one transaction; null when
 * the endpoint or the source row does not exist. The endpoint is locked first: one deleted
 * concurrently is then simply not found (not a foreign-key error).
 */
function enqueueDelivery(
  db: Database,
  endpointId: string,
  insert: { text: string; values: unknown[] },
  audit: (row: DeliveryRow) => { action: string; traits: Record<string, unknown> },
  context: AdminContext | undefined,
): Promise<Delivery | null> {
  return db.transaction(async (tx) => {
    const { rows: endpoint } = await tx.query('select 1 from webhooks.endpoints where id = $1 for share', [
      endpointId,
    ])
    if (endpoint.length === 0) return null
    const { rows } = await tx.query<DeliveryRow>(
      `${insert.text} returning ${COLUMNS.replaceAll('d.', '')}`,
      insert.values,
    )
    const row = rows[0]
    if (!row) return null
    await tx.query('select webhooks.wake($1)', [endpointId])
    await recordAudit(tx, { ...auditOf(context), ...audit(row) })
    return toDelivery(row)
  })
}

/**
 * `webhooks.api.redeliver`: a new delivery of the same message (same `webhook-id` and body, so
 * receivers deduplicate it), due now; null when there is no such delivery.
 */
export async function redeliver(
  db: Database,
  endpointId: string,
  deliveryId: string,
  context?: AdminContext,
): Promise<Delivery | null> {
  if (!UUID.test(endpointId) || !/^\d{1,18}$/.test(deliveryId)) return null
  return enqueueDelivery(
    db,
    endpointId,
    {
      text: `insert into webhooks.deliveries (endpoint_id, message_id, event_type, change_id, payload, ordering_key)
       select d.endpoint_id, d.message_id, d.event_type, d.change_id, d.payload, d.ordering_key
         from webhooks.deliveries d where d.endpoint_id = $1 and d.id = $2`,
      values: [endpointId, deliveryId],
    },
    (row) => ({
      action: 'webhooks.redelivered',
      traits: { endpoint_id: endpointId, delivery_id: deliveryId, new_delivery_id: row.id },
    }),
    context,
  )
}

/**
 * `webhooks.api.test`: sends a `webhook.test` message (`data.record` null) to the endpoint
 * through the same path as change deliveries; null when there is no such endpoint.
 */
export async function sendTest(
  db: Database,
  endpointId: string,
  context?: AdminContext,
): Promise<Delivery | null> {
  if (!UUID.test(endpointId)) return null
  return enqueueDelivery(
    db,
    endpointId,
    {
      text: `insert into webhooks.deliveries (endpoint_id, message_id, event_type, payload)
       select e.id, 'msg_' || replace(gen_random_uuid()::text, '-', ''), 'webhook.test',
              webhooks.payload('webhook.test', e.schema_name, e.table_name, null, null, now())
         from webhooks.endpoints e where e.id = $1`,
      values: [endpointId],
    },
    (row) => ({ action: 'webhooks.test_sent', traits: { endpoint_id: endpointId, delivery_id: row.id } }),
    context,
  )
}
