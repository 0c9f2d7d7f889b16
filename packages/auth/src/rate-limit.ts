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
