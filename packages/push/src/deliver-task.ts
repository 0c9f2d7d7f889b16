import {
  type AnyTaskDefinition,
  type Database,
  defineTask,
  type Logger,
  type TaskContext,
} from '@groundwork/core'
import { pushError } from './errors'
import { DELIVER_TASK, deliverPayload } from './fanout-task'
import { type DeliveryOutcome, ResultWriter } from './internal/result-writer'
import type { MessageCache } from './notifications'
import type {
  DeliveryResult,
  DeviceProvider,
  PushDevice,
  PushMessage,
  PushProvider,
} from './providers/provider'

// The batch's pending deliveries with their devices (none: the device was deleted). On the job's
// first run that is a read: each delivery's attempt is written with its outcome. On a retry
// (after retryable answers, or after a worker died mid-batch) the attempt is counted in a
// committed statement before any request leaves, as at least the job's attempt number: a
// delivery whose outcome a dead worker never recorded shows `attempts >= 2`, whether or not that
// worker had reached it.
// One JSON value per batch (parsed natively) rather than hundreds of rows parsed field by field.
// Keys are PushDevice's, so a row is handed to the provider as it is parsed.
const DEVICE_JSON = `coalesce(json_agg(json_build_object('deliveryId', x.delivery_id::text, 'id', d.id, 'userId', d.user_id,
    'provider', d.provider, 'token', d.token, 'platform', d.platform, 'environment', d.environment, 'topic', d.topic,
    'locale', d.locale, 'app', d.app, 'disabled', d.disabled_at is not null)), '[]') as rows`
const SELECT_SQL = `select ${DEVICE_JSON}
  from (select dl.id as delivery_id, dl.device_id from push.deliveries dl
        where dl.notification_id = $1 and dl.batch = $2 and dl.status = 'pending') x
  left join push.devices d on d.id = x.device_id`
const CLAIM_SQL = `with x as (
    update push.deliveries dl set attempts = greatest(dl.attempts + 1, $3), updated_at = now()
    where dl.notification_id = $1 and dl.batch = $2 and dl.status = 'pending'
    returning dl.id as delivery_id, dl.device_id)
  select ${DEVICE_JSON} from x left join push.devices d on d.id = x.device_id`

// Our own job's next run, before we fail it: graphile-worker's fail_job sets
// `run_at = greatest(now(), run_at) + exp(least(attempts, 10))` seconds, so this makes the retry
// wait max(Retry-After, its exponential backoff). The row is ours while we hold its lock.
const DEFER_SQL = `update graphile_worker._private_jobs
  set run_at = now() + make_interval(secs => greatest($2::float8 - exp(least(attempts, 10)), 0))
  where id = $1 and locked_by is not null`

const GIVE_UP_SQL = `update push.deliveries set status = 'failed', updated_at = now()
  where id = any($1::bigint[]) and status = 'pending'`

/** A pending delivery and its device (all nulls when the device was deleted after the fan-out). */
type ClaimedRow = Omit<PushDevice, 'id'> & { id: string | null; deliveryId: string; disabled: boolean }

/** Settings of {@link createDeliverTask}. */
export interface DeliverTaskSettings {
  db: Database
  providers: readonly PushProvider[]
  messages: MessageCache
  logger: Logger
  maxAttempts: number
  sendConcurrency: number
}

/** Runs `fn` over `items`, `limit` at a time. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++] as T)
  })
  await Promise.all(workers)
}

function toOutcome(deliveryId: string, provider: string | null, result: DeliveryResult): DeliveryOutcome {
  if (result.outcome === 'sent') {
    return {
      deliveryId,
      status: 'sent',
      provider,
      providerMessageId: result.providerMessageId,
      environment: result.environment,
    }
  }
  const status = result.outcome === 'retry' ? 'pending' : result.outcome === 'prune' ? 'pruned' : 'failed'
  const retryAfterMs = result.outcome === 'retry' ? result.retryAfterMs : undefined
  return {
    deliveryId,
    status,
    provider,
    code: result.code,
    error: result.message,
    response: {
      status: result.status ?? null,
      code: result.code,
      message: result.message,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    },
    retryAfterMs,
  }
}

/**
 * `push:deliver`: sends one batch of a notification, `sendConcurrency` at a time, and records
 * every outcome as it arrives (see {@link ResultWriter}). Definitive answers about a token prune
 * the device; retryable ones leave the delivery `pending` and fail this job, which
 * graphile-worker retries no sooner than the largest `Retry-After` (and its own backoff). On the
 * last attempt the still-retryable deliveries become `failed`. Deliveries are at least once: a
 * worker killed mid-batch repeats only the sends whose outcome was not yet recorded.
 */
export function createDeliverTask(settings: DeliverTaskSettings): AnyTaskDefinition {
  const { db, logger } = settings
  const byKind = new Map<DeviceProvider, PushProvider>()
  for (const provider of settings.providers) for (const kind of provider.handles) byKind.set(kind, provider)

  async function deliver(row: ClaimedRow, message: PushMessage, ctx: TaskContext): Promise<DeliveryOutcome> {
    if (row.id === null) {
      return {
        deliveryId: row.deliveryId,
        status: 'failed',
        provider: null,
        code: 'DEVICE_DELETED',
        error: 'The device was deleted before delivery',
      }
    }
    if (row.disabled) {
      return {
        deliveryId: row.deliveryId,
        status: 'failed',
        provider: null,
        code: 'DEVICE_DISABLED',
        error: 'The device was disabled before delivery',
      }
    }
    const provider = byKind.get(row.provider)
    if (!provider) {
      return {
        deliveryId: row.deliveryId,
        status: 'failed',
        provider: null,
        code: 'PUSH_NO_PROVIDER',
        error: `No provider handles "${row.provider}" devices: pass one to createPush({ providers })`,
      }
    }
    let result: DeliveryResult
    try {
      // A device row with its id (checked above) is a PushDevice; the extra keys are harmless.
      result = await provider.send(row as PushDevice, message, { db, signal: ctx.signal })
    } catch (error) {
      result = {
        outcome: 'retry',
        code: 'PROVIDER_ERROR',
        message: (error as Error).message ?? String(error),
      }
    }
    return toOutcome(row.deliveryId, provider.name, result)
  }

  return defineTask({
    name: DELIVER_TASK,
    schema: deliverPayload,
    maxAttempts: settings.maxAttempts,
    async run({ notificationId, batch }, ctx) {
      const message = await settings.messages.get(notificationId)
      if (!message) return
      const { attempt } = ctx.job
      const { rows: result } =
        attempt === 1
          ? await db.query<{ rows: ClaimedRow[] }>(SELECT_SQL, [notificationId, batch])
          : await db.query<{ rows: ClaimedRow[] }>(CLAIM_SQL, [notificationId, batch, attempt])
      const rows = result[0]?.rows ?? []
      const writer = new ResultWriter(db, { attempt, notificationId, batchNumber: batch })
      const tally = { sent: 0, failed: 0, pruned: 0, retry: 0 }
      const retries: { deliveryId: string; retryAfterMs: number; code: string }[] = []
      const problems = new Map<string, number>()
      await eachLimited(rows, settings.sendConcurrency, async (row) => {
        if (ctx.signal.aborted) return
        const outcome = await deliver(row, message, ctx)
        writer.add(outcome)
        if (outcome.status === 'pending') {
          tally.retry++
          retries.push({
            deliveryId: outcome.deliveryId,
            retryAfterMs: outcome.retryAfterMs ?? 0,
            code: outcome.code ?? 'RETRY',
          })
        } else tally[outcome.status]++
        if (outcome.code) problems.set(outcome.code, (problems.get(outcome.code) ?? 0) + 1)
      })
      await writer.flush()
      const summary = `groundwork push: notification ${notificationId} batch ${batch} (attempt ${ctx.job.attempt}/${ctx.job.maxAttempts}): ${tally.sent} sent, ${tally.pruned} pruned, ${tally.failed} failed, ${tally.retry} to retry${problems.size ? ` [${[...problems].map(([code, n]) => `${code}×${n}`).join(', ')}]` : ''}`
      if (tally.failed + tally.pruned + tally.retry === 0) logger.debug(summary)
      else logger.warn(summary)
      ctx.signal.throwIfAborted()
      if (retries.length === 0) return
      if (ctx.job.attempt >= ctx.job.maxAttempts) {
        await db.query(GIVE_UP_SQL, [retries.map((r) => r.deliveryId)])
        logger.error(`${summary}: giving up on ${retries.length} deliveries`)
        return
      }
      const waitMs = Math.max(0, ...retries.map((r) => r.retryAfterMs))
      await db.query(DEFER_SQL, [ctx.job.id, waitMs / 1000])
      throw pushError(
        'PUSH_DELIVERY_RETRY',
        `${retries.length} of ${rows.length} deliveries got a retryable answer (${[...new Set(retries.map((r) => r.code))].join(', ')}); retrying${waitMs ? ` after at least ${Math.ceil(waitMs / 1000)} s (Retry-After)` : ''}`,
      )
    },
  })
}
