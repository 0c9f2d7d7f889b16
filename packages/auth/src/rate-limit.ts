import type { Queryable } from './db'
import { AuthError } from './errors'
import type { RateLimit } from './options'

/** Which 429 a limit answers with. */
export type RateLimitKind = 'request' | 'email'

/** Counts one hit against a limit; throws 429 when over it. */
export type RateLimiter = (key: string, limit: RateLimit | false, kind?: RateLimitKind) => Promise<void>

/**
 * Fixed-window counters in `auth.rate_limits`, one upsert per check, so limits hold across every
 * instance sharing the database. Runs on its own (autocommit) statement: a failed sign-in that
 * rolls back still counts. Answers 429 `over_request_rate_limit` or `over_email_send_rate_limit`
 * with `Retry-After` (seconds until the window ends).
 *
 * @see https://supabase.com/docs/guides/auth/rate-limits
 */
export function createRateLimiter(db: Queryable): RateLimiter {
  let calls = 0
  return async (key, limit, kind = 'request') => {
    if (limit === false) return
    // Unknown client address: a per-IP limit would throttle every client as one. Skip it (per-email
    // limits still apply); set the `clientIp` option where no proxy supplies the address.
    if (key.endsWith(':ip:')) return
    const { rows } = await db.query<{ count: number; retry_after: number }>(
      `insert into auth.rate_limits as r (key, window_start, count)
       values ($1, to_timestamp(floor(extract(epoch from now()) / $2) * $2), 1)
       on conflict (key, window_start) do update set count = r.count + 1
       returning r.count, ceil(extract(epoch from (r.window_start + make_interval(secs => $2) - now())))::int as retry_after`,
      [key, limit.windowSeconds],
    )
    // Expired windows are pruned now and then by whichever request comes along.
    if (++calls % 500 === 0) {
      await db.query("delete from auth.rate_limits where window_start < now() - interval '1 day'")
    }
    const row = rows[0]
    if (row && row.count > limit.max) {
      const headers = { 'Retry-After': String(Math.max(1, row.retry_after)) }
      throw kind === 'email'
        ? new AuthError('over_email_send_rate_limit', 'email rate limit exceeded', { status: 429, headers })
        : new AuthError('over_request_rate_limit', 'Request rate limit reached', { status: 429, headers })
    }
  }
}

/** Checks and records a mail request for a key; throws 429 within `seconds` of the last one. */
export type MailThrottle = (key: string, seconds: number) => Promise<void>

/**
 * GoTrue's `SMTP_MAX_FREQUENCY`, kept per key (a requested address) in `auth.rate_limits` rather
 * than in the user's `*_sent_at` columns, so that it answers alike for addresses with and without
 * an account. The key's row holds the time of the last allowed request as `window_start`; one
 * statement moves it forward when it is at least `seconds` old, or inserts it the first time (both
 * on one snapshot, so exactly one of them can act). Answers 429 `over_email_send_rate_limit` with
 * GoTrue's message and `Retry-After`.
 */
export function createMailThrottle(db: Queryable): MailThrottle {
  return async (key, seconds) => {
    if (seconds <= 0) return
    const { rows } = await db.query<{ allowed: boolean; wait: number | null }>(
      `with moved as (
         update auth.rate_limits set window_start = now(), count = count + 1
          where key = $1 and window_start <= now() - make_interval(secs => $2)
         returning 1),
       inserted as (
         insert into auth.rate_limits (key, window_start, count)
         select $1, now(), 1 where not exists (select 1 from auth.rate_limits where key = $1)
         returning 1)
       select exists (select 1 from moved) or exists (select 1 from inserted) as allowed,
         (select ceil(extract(epoch from (max(window_start) + make_interval(secs => $2) - now())))::int
            from auth.rate_limits where key = $1) as wait`,
      [key, seconds],
    )
    const row = rows[0]
    if (row && !row.allowed) {
      const wait = Math.max(1, row.wait ?? seconds)
      throw new AuthError(
        'over_email_send_rate_limit',
        `For security purposes, you can only request this after ${wait} seconds.`,
        { status: 429, headers: { 'Retry-After': String(wait) } },
      )
    }
  }
}
