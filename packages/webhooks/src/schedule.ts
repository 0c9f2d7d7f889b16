/**
 * The Standard Webhooks retry schedule: after the first attempt, retries 5 seconds, 5 minutes,
 * 30 minutes, 2 hours, 5 hours, 10 hours and 10 hours later (eight attempts over about 27 hours).
 *
 * @see https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#deliverability-and-reliability
 */
export const STANDARD_RETRY_SCHEDULE: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
]

/** The longest `Retry-After` honoured (a receiver asking for more waits this long). */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000

/**
 * Milliseconds until the retry after attempt `attempt` (1-based), or null when the schedule is
 * exhausted: the schedule's step with ±`jitter` (a fraction) spread, never sooner than the
 * receiver's `Retry-After`.
 */
export function retryDelay(
  schedule: readonly number[],
  attempt: number,
  jitter: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number | null {
  const step = schedule[attempt - 1]
  if (step === undefined) return null
  const spread = step * jitter * (2 * random() - 1)
  return Math.max(Math.round(step + spread), retryAfterMs ?? 0)
}

/**
 * A `Retry-After` header (delta-seconds or an HTTP-date) in milliseconds from `now`, capped at
 * {@link MAX_RETRY_AFTER_MS}; null when absent or unreadable.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (value === null || value === undefined) return null
  const trimmed = value.trim()
  let ms: number
  if (/^\d{1,10}$/.test(trimmed)) ms = Number(trimmed) * 1000
  else {
    const at = Date.parse(trimmed)
    if (Number.isNaN(at)) return null
    ms = at - now
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS)
}
