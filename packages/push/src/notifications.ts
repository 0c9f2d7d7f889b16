import type { Queryable } from '@groundwork/jobs'
import { UUID } from './message'
import type { PushMessage } from './providers/provider'

/** What `push.api.send` returns. */
export interface SendReceipt {
  /** The notification's id (`GET /notifications/:id`). */
  id: string
  /** graphile-worker job id of its fan-out. */
  jobId: string
}

/** A delivery's state: `pending` until the provider answers (and while retryable answers are retried). */
export type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'pruned'

/** One device's delivery of a notification. */
export interface DeliveryRecord {
  deviceId: string
  status: DeliveryStatus
  /** Times it was handed to a provider. */
  attempts: number
  /** The provider that answered last. */
  provider: string | null
  providerMessageId: string | null
  /** The provider's code of the last failure (`UNREGISTERED`, `BadDeviceToken`, `UNAVAILABLE`, …). */
  errorCode: string | null
  error: string | null
  sentAt: Date | null
  updatedAt: Date
}

/** A notification with its deliveries (`push.api.notification`). */
export interface NotificationStatus {
  id: string
  createdAt: Date
  /** When every recipient had a delivery; null while the fan-out runs. */
  fannedOutAt: Date | null
  /** Deliveries created so far. */
  deviceCount: number
  counts: Record<DeliveryStatus, number>
  /** In delivery order, `limit` at a time. */
  deliveries: DeliveryRecord[]
}

/** Paging of {@link NotificationStatus.deliveries}. */
export interface NotificationQuery {
  /** @default 1000, at most 10000 */
  limit?: number | undefined
  /** @default 0 */
  offset?: number | undefined
}

interface DeliveryRow {
  device_id: string
  status: DeliveryStatus
  attempts: number
  provider: string | null
  provider_message_id: string | null
  error_code: string | null
  error: string | null
  sent_at: Date | null
  updated_at: Date
}

/** Reads a notification and its deliveries; null when there is none with that id. */
export async function readNotification(
  db: Queryable,
  id: string,
  query: NotificationQuery = {},
): Promise<NotificationStatus | null> {
  if (!UUID.test(id)) return null
  const limit = Math.min(Math.max(Math.trunc(query.limit ?? 1000), 0), 10_000)
  const offset = Math.max(Math.trunc(query.offset ?? 0), 0)
  const { rows } = await db.query(
    `select n.id::text, n.created_at, n.fanned_out_at, n.device_count,
       (select coalesce(jsonb_object_agg(s.status, s.n), '{}') from
         (select status, count(*)::int as n from push.deliveries where notification_id = n.id group by status) s) as counts,
       coalesce((select jsonb_agg(to_jsonb(x) order by x.ord) from
         (select dl.id as ord, dl.device_id::text as device_id, dl.status, dl.attempts, dl.provider, dl.provider_message_id,
                 dl.error_code, dl.error, dl.sent_at, dl.updated_at
            from push.deliveries dl where dl.notification_id = n.id order by dl.id limit $2 offset $3) x), '[]') as deliveries
     from push.notifications n where n.id = $1`,
    [id, limit, offset],
  )
  const row = rows[0]
  if (!row) return null
  const counts = { pending: 0, sent: 0, failed: 0, pruned: 0, ...(row.counts as Record<string, number>) }
  return {
    id: row.id,
    createdAt: row.created_at,
    fannedOutAt: row.fanned_out_at,
    deviceCount: row.device_count,
    counts,
    deliveries: (row.deliveries as (DeliveryRow & { sent_at: string | null; updated_at: string })[]).map(
      (d) => ({
        deviceId: d.device_id,
        status: d.status,
        attempts: d.attempts,
        provider: d.provider,
        providerMessageId: d.provider_message_id,
        errorCode: d.error_code,
        error: d.error,
        sentAt: d.sent_at === null ? null : new Date(d.sent_at),
        updatedAt: new Date(d.updated_at),
      }),
    ),
  }
}

/**
 * The messages of notifications being delivered, by id: read once per process (every delivery
 * job of a notification shares the object, so providers can cache what they build from it).
 */
export class MessageCache {
  readonly #db: Queryable
  readonly #entries = new Map<string, Promise<PushMessage | null>>()
  readonly #size: number

  constructor(db: Queryable, size = 64) {
    this.#db = db
    this.#size = size
  }

  get(id: string): Promise<PushMessage | null> {
    let entry = this.#entries.get(id)
    if (entry) {
      // Most recently used last.
      this.#entries.delete(id)
      this.#entries.set(id, entry)
      return entry
    }
    entry = this.#load(id)
    entry.catch(() => this.#entries.delete(id))
    this.#entries.set(id, entry)
    while (this.#entries.size > this.#size) {
      const oldest = this.#entries.keys().next().value as string
      this.#entries.delete(oldest)
    }
    return entry
  }

  async #load(id: string): Promise<PushMessage | null> {
    const { rows } = await this.#db.query('select message from push.notifications where id = $1', [id])
    const message = rows[0]?.message as Omit<PushMessage, 'id'> | undefined
    return message ? { ...message, id } : null
  }
}
