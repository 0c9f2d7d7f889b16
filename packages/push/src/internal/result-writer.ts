import type { Queryable } from '@groundwork/jobs'
import type { DeliveryStatus } from '../notifications'
import type { ApnsEnvironment } from '../providers/provider'

/** One delivery's outcome, as recorded. */
export interface DeliveryOutcome {
  deliveryId: string
  /** `pending` records a retryable failure (the delivery is tried again). */
  status: DeliveryStatus
  provider: string | null
  providerMessageId?: string | undefined
  code?: string | undefined
  error?: string | undefined
  /** What the provider answered, for failures: `{ status, code, message }`. */
  response?: Record<string, unknown> | undefined
  /** APNs: the device's token turned out to belong to this environment. */
  environment?: ApnsEnvironment | undefined
  /** A retryable answer's `Retry-After`, in ms (not stored). */
  retryAfterMs?: number | undefined
}

// One round trip per flush: the deliveries' new states, then (same statement) the devices that
// were pruned (disabled with the provider's code as reason) or whose APNs environment was wrong.
// `attempts` becomes at least the job's attempt (the first run counts it here, with the outcome).
// The notification and batch are named so that, whatever the planner picks (statistics lag right
// after a fan-out: it has hashed every pending delivery of the table to update a hundred), the
// rows it reads are bounded by the batch, never by the table.
const FLUSH_SQL = `with r as (
    select * from jsonb_to_recordset($1::jsonb) as r(id bigint, status text, provider text,
      provider_message_id text, error_code text, error text, response jsonb, environment text)
  ), recorded as (
    update push.deliveries dl set status = r.status, attempts = greatest(dl.attempts, $2), provider = r.provider,
      provider_message_id = r.provider_message_id,
      error_code = r.error_code, error = r.error, response = r.response, updated_at = now(),
      sent_at = case when r.status = 'sent' then now() else dl.sent_at end
    from r where dl.id = r.id and dl.notification_id = $3 and dl.batch = $4 and dl.status = 'pending'
    returning dl.device_id, r.status, r.error_code, r.environment
  ), pruned as (
    update push.devices d set disabled_at = now(), disabled_reason = recorded.error_code, updated_at = now()
    from recorded where d.id = recorded.device_id and recorded.status = 'pruned' and d.disabled_at is null
    returning d.id
  )
  update push.devices d set environment = recorded.environment, updated_at = now()
  from recorded where d.id = recorded.device_id and recorded.status = 'sent' and recorded.environment is not null`

/**
 * Records delivery outcomes in batches as they arrive: a flush every `batch` outcomes or `delayMs`
 * after the first unflushed one, one flush at a time. Recording promptly bounds what a crash can
 * repeat: only deliveries whose outcome was not yet written are sent again on retry.
 */
export class ResultWriter {
  readonly #db: Queryable
  readonly #batch: number
  readonly #delayMs: number
  readonly #attempt: number
  readonly #notificationId: string
  readonly #batchNumber: number
  #buffer: DeliveryOutcome[] = []
  #timer: NodeJS.Timeout | null = null
  #flushing: Promise<void> = Promise.resolve()
  #error: unknown = null

  /**
   * `attempt`: the delivery job's attempt, the least `attempts` a recorded delivery shows;
   * `notificationId` and `batchNumber`: the fan-out batch the outcomes belong to.
   */
  constructor(
    db: Queryable,
    options: {
      attempt: number
      notificationId: string
      batchNumber: number
      batch?: number
      delayMs?: number
    },
  ) {
    this.#db = db
    this.#attempt = options.attempt
    this.#notificationId = options.notificationId
    this.#batchNumber = options.batchNumber
    this.#batch = options.batch ?? 250
    this.#delayMs = options.delayMs ?? 25
  }

  add(outcome: DeliveryOutcome): void {
    this.#buffer.push(outcome)
    if (this.#buffer.length >= this.#batch) this.#schedule(0)
    else if (!this.#timer) this.#schedule(this.#delayMs)
  }

  #schedule(delay: number): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = null
      void this.#drain()
    }, delay)
  }

  #drain(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      const rows = this.#buffer
      if (rows.length === 0) return
      this.#buffer = []
      try {
        // One JSON parameter (serialised natively) rather than eight arrays escaped element by element.
        const json = JSON.stringify(
          rows.map((r) => ({
            id: r.deliveryId,
            status: r.status,
            provider: r.provider,
            provider_message_id: r.providerMessageId ?? null,
            error_code: r.code ?? null,
            error: r.error ?? null,
            response: r.response ?? null,
            environment: r.environment ?? null,
          })),
        )
        await this.#db.query(FLUSH_SQL, [json, this.#attempt, this.#notificationId, this.#batchNumber])
      } catch (error) {
        this.#error ??= error
      }
    })
    return this.#flushing
  }

  /** Writes everything added so far; rejects with the first write that failed. */
  async flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer)
      this.#timer = null
    }
    await this.#drain()
    if (this.#error) throw this.#error
  }
}
