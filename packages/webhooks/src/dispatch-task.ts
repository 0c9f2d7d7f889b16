import { type Database, defineTask, type Logger, type SecretBox, type TaskContext } from '@groundwork/core'
import type pg from 'pg'
import { z } from 'zod'
import type { Sender, SendResult } from './internal/sender'
import { parseRetryAfter, retryDelay } from './schedule'
import { secretContext } from './sealed-columns'
import { type SigningSecret, signatureHeader } from './signing'

/** The task that delivers an endpoint's due messages. */
export const DISPATCH_TASK = 'webhooks:dispatch'

/** What the dispatcher reports per attempt (core's `Metrics` fits). */
export interface DeliveryMetrics {
  recordWebhookDelivery(outcome: 'delivered' | 'retry' | 'failed' | 'gone', seconds: number): void
}

/** Settings of {@link createDispatchTask}. */
export interface DispatchSettings {
  db: Database
  /** Opens the signing secrets (sealed when encryption keys are set). */
  box: SecretBox
  sender: Sender
  logger: Logger
  retrySchedule: readonly number[]
  retryJitter: number
  requestTimeout: number
  metrics?: DeliveryMetrics | undefined
}

interface Claimed {
  id: string
  message_id: string
  body: string
  attempts: number
}

interface EndpointState {
  url: string
  headers: Record<string, string>
  enabled: boolean
  max_concurrency: number
  secrets: SigningSecret[]
  loadedAt: number
}

interface Outcome {
  id: string
  attempt: number
  status: 'delivered' | 'pending' | 'failed'
  responseStatus: number | null
  responseBody: string | null
  error: string | null
  delayMs: number | null
}

const LOAD_SQL = `select e.url, e.headers, e.enabled, e.max_concurrency,
    coalesce((select json_agg(json_build_object('kind', s.kind, 'secret', s.secret) order by s.created_at desc)
      from webhooks.secrets s where s.endpoint_id = e.id and (s.expires_at is null or s.expires_at > now())), '[]') as secrets
  from webhooks.endpoints e where e.id = $1`

/** Advisory lock class of the per-endpoint dispatcher lock (`pg_try_advisory_lock(class, hashtext(id))`). */
const LOCK_CLASS = 1_466_392_001

const RELEASE_SQL = `update webhooks.deliveries set status = 'pending', attempts = attempts - 1, locked_until = null
  where id = any($1::bigint[]) and status = 'sending'`

const CLAIM_SQL = `select id::text, message_id, body, attempts
  from webhooks.claim($1, $2, $3, $4::bigint[], $5::int[], $6::text[], $7::int[], $8::text[], $9::text[], $10::float8[])`

/** The longest an outcome waits to be recorded with others (see `drain`). */
const SETTLE_MS = 20

/** How often a long-running dispatcher re-reads its endpoint (URL, headers, secrets, enabled). */
const RELOAD_MS = 2000

/**
 * The `webhooks:dispatch` task: delivers one endpoint's due messages (payload `{ endpointId }`),
 * keeping up to the endpoint's `max_concurrency` requests in flight (across all workers: claims
 * go through `webhooks.claim`), recording outcomes in batches, and scheduling itself again for
 * the next retry when it runs out of due work.
 *
 * Outcomes (Standard Webhooks): 2xx delivered; 410 Gone disables the endpoint; anything else —
 * 3xx (redirects are not followed), 4xx, 5xx, a timeout, a network error, an SSRF refusal — is a
 * failed attempt retried on the schedule with jitter, never sooner than `Retry-After`, until the
 * schedule is exhausted. A worker killed mid-request leaves its deliveries `sending` with a lease
 * (`requestTimeout` + margin); once it passes they are due again, with the same `webhook-id`.
 *
 * @see https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
export function createDispatchTask(settings: DispatchSettings) {
  const { db, sender, logger } = settings
  const leaseMs = settings.requestTimeout + 10_000

  const warnedAt = new Map<string, number>()

  /**
   * The endpoint with its signing secrets opened. A secret that does not open (sealed with a key
   * no longer in `encryptionKeys`, or altered) is left out and reported (at most once a minute per
   * endpoint); the others still sign. When none opens, nothing can be signed: the run fails with
   * that reason (the job is retried with backoff; its error says why) and deliveries wait.
   */
  async function load(endpointId: string): Promise<EndpointState | null> {
    const { rows } = await db.query<Omit<EndpointState, 'loadedAt'>>(LOAD_SQL, [endpointId])
    const row = rows[0]
    if (!row) return null
    const context = secretContext(endpointId)
    const secrets: SigningSecret[] = []
    const problems: string[] = []
    for (const s of row.secrets) {
      try {
        secrets.push({ kind: s.kind, secret: settings.box.open(s.secret, context) })
      } catch (error) {
        problems.push((error as Error).message)
      }
    }
    if (problems.length > 0) {
      const message = `webhooks: endpoint ${endpointId}: ${problems.length} of ${row.secrets.length} signing secrets cannot be opened (${problems[0]})`
      if (secrets.length === 0 && row.secrets.length > 0) throw new Error(message)
      if ((warnedAt.get(endpointId) ?? 0) < Date.now() - 60_000) {
        warnedAt.set(endpointId, Date.now())
        logger.error(message)
      }
    }
    return { ...row, secrets, loadedAt: Date.now() }
  }

  async function attempt(endpoint: EndpointState, claimed: Claimed): Promise<Outcome> {
    const started = performance.now()
    const timestamp = Math.floor(Date.now() / 1000)
    const headers: Record<string, string> = {
      ...endpoint.headers,
      'content-type': 'application/json',
      'user-agent': 'groundwork-webhooks',
      'webhook-id': claimed.message_id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(endpoint.secrets, claimed.message_id, timestamp, claimed.body),
    }
    const result: SendResult = await sender.send(endpoint.url, headers, claimed.body)
    const seconds = (performance.now() - started) / 1000
    const base = {
      id: claimed.id,
      attempt: claimed.attempts,
      responseStatus: result.status,
      responseBody: result.body,
      error: result.error,
    }
    if (result.status !== null && result.status >= 200 && result.status < 300) {
      settings.metrics?.recordWebhookDelivery('delivered', seconds)
      return { ...base, status: 'delivered', delayMs: null }
    }
    if (result.status === 410) {
      settings.metrics?.recordWebhookDelivery('gone', seconds)
      return { ...base, status: 'failed', delayMs: null }
    }
    const delay = retryDelay(
      settings.retrySchedule,
      claimed.attempts,
      settings.retryJitter,
      parseRetryAfter(result.retryAfter),
    )
    settings.metrics?.recordWebhookDelivery(delay === null ? 'failed' : 'retry', seconds)
    return delay === null
      ? { ...base, status: 'failed', delayMs: null }
      : { ...base, status: 'pending', delayMs: delay }
  }

  /** Records `outcomes` and claims up to `requested` more, in one round trip. */
  async function settleAndClaim(
    client: pg.PoolClient,
    endpointId: string,
    outcomes: Outcome[],
    requested: number,
  ): Promise<Claimed[]> {
    const { rows } = await client.query<Claimed>(CLAIM_SQL, [
      endpointId,
      requested,
      leaseMs,
      outcomes.map((o) => o.id),
      outcomes.map((o) => o.attempt),
      outcomes.map((o) => o.status),
      outcomes.map((o) => o.responseStatus),
      outcomes.map((o) => o.responseBody),
      outcomes.map((o) => o.error),
      outcomes.map((o) => o.delayMs),
    ])
    if (outcomes.some((o) => o.responseStatus === 410)) {
      logger.warn(`webhooks: endpoint ${endpointId} answered 410 Gone and was disabled`)
    }
    return rows
  }

  /**
   * Drains one endpoint. One dispatcher per endpoint at a time: it holds the endpoint's session
   * advisory lock on its own connection for the run (released by Postgres if the process dies),
   * so the concurrency cap is enforced here, and the next deliveries are claimed ahead (up to the
   * cap again) so a slot that frees up is refilled without waiting for a round trip.
   */
  async function run(endpointId: string, ctx: TaskContext): Promise<void> {
    const endpoint = await load(endpointId)
    if (!endpoint?.enabled) return
    const client = await db.pool.connect()
    let locked = false
    try {
      const { rows } = await client.query<{ ok: boolean }>(
        'select pg_try_advisory_lock($1, hashtext($2)) as ok',
        [LOCK_CLASS, endpointId],
      )
      locked = rows[0]?.ok === true
      // Held: the holder drains, and wakes the endpoint again after unlocking if work is left.
      if (!locked) return
      await drain(client, endpointId, endpoint, ctx)
    } finally {
      if (locked)
        await client
          .query('select pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS, endpointId])
          .catch(() => {})
      client.release()
    }
    // Later work (retries, leases of a dead worker, changes that came while this run held the
    // lock): run again then.
    await db.query(
      'select webhooks.wake($1, greatest(d, now())) from webhooks.next_due($1) d where d is not null',
      [endpointId],
    )
  }

  async function drain(client: pg.PoolClient, endpointId: string, first: EndpointState, ctx: TaskContext) {
    let endpoint = first
    const queue: Claimed[] = []
    let active = 0
    let outcomes: Outcome[] = []
    let wakeUp: (() => void) | null = null
    let timer: NodeJS.Timeout | null = null
    const wake = () => {
      if (timer) clearTimeout(timer)
      timer = null
      wakeUp?.()
    }
    // Outcomes are recorded in batches: the loop waits until half the cap has finished, the
    // claimed-ahead queue runs low, nothing is in flight, or SETTLE_MS passed since the first
    // unrecorded outcome — one round trip per many deliveries while the queue keeps the
    // requests going.
    let gone = false
    const ready = () => {
      const half = Math.max(1, endpoint.max_concurrency >> 1)
      return outcomes.length > 0 && (outcomes.length >= half || queue.length < half || active === 0 || gone)
    }
    const finished = (outcome: Outcome) => {
      outcomes.push(outcome)
      if (outcome.responseStatus === 410) gone = true
      active--
      launch()
      if (ready()) wake()
      else timer ??= setTimeout(wake, SETTLE_MS)
    }
    const launch = () => {
      while (active < endpoint.max_concurrency && queue.length > 0) {
        const claimed = queue.shift() as Claimed
        active++
        attempt(endpoint, claimed)
          .catch(
            (error: unknown): Outcome => ({
              id: claimed.id,
              attempt: claimed.attempts,
              status: 'pending',
              responseStatus: null,
              responseBody: null,
              error: error instanceof Error ? error.message : String(error),
              delayMs: settings.retrySchedule[0] ?? 5000,
            }),
          )
          .then(finished)
      }
    }
    let stop = false
    for (;;) {
      const batch = outcomes
      outcomes = []
      if (gone || ctx.signal.aborted) stop = true
      if (!stop && Date.now() - endpoint.loadedAt > RELOAD_MS) {
        // A reload that fails (database blip, secrets that no longer open) keeps the loaded state.
        const reloaded = await load(endpointId).catch((error: Error) => {
          logger.error(`webhooks: reloading endpoint ${endpointId} failed: ${error.message}`)
          return { ...endpoint, loadedAt: Date.now() }
        })
        if (reloaded?.enabled) endpoint = reloaded
        else stop = true
      }
      if (stop && queue.length > 0) {
        // Claimed but not sent: back to pending, this attempt not counted.
        await client.query(RELEASE_SQL, [queue.splice(0).map((c) => c.id)])
      }
      const wanted = stop ? 0 : Math.max(0, 2 * endpoint.max_concurrency - active - queue.length)
      const rows = await settleAndClaim(client, endpointId, batch, wanted)
      queue.push(...rows)
      launch()
      if (active === 0 && queue.length === 0 && outcomes.length === 0) break
      if (!ready()) {
        if (outcomes.length > 0) timer ??= setTimeout(wake, SETTLE_MS)
        await new Promise<void>((resolve) => {
          wakeUp = resolve
        })
        wakeUp = null
      }
    }
  }

  return defineTask({
    name: DISPATCH_TASK,
    schema: z.object({ endpointId: z.string().uuid() }),
    maxAttempts: 25,
    // Payloads carry only the endpoint id, but keep the history lean: one run per drain.
    recordPayload: true,
    logPayload: true,
    run: ({ endpointId }, ctx) => run(endpointId, ctx),
  })
}
