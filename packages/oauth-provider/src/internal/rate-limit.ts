import type { Database } from '@groundwork/core'
import { OAuthProviderError } from '../errors'

/**
 * A fixed-window counter in Postgres (`oauth.rate_limits`), shared by every instance: one upsert
 * per request. Past `limit` in the window: 429 `slow_down` with `Retry-After`.
 */
export function createRateLimiter(db: Database) {
  return async function limit(key: string, max: number, windowSeconds: number): Promise<void> {
    if (max <= 0) return
    const { rows } = await db.query<{ count: number; reset: number }>(
      `insert into oauth.rate_limits (key, window_start, count)
       values ($1, to_timestamp(floor(extract(epoch from now()) / $2) * $2), 1)
       on conflict (key, window_start) do update set count = oauth.rate_limits.count + 1
       returning count, ceil(extract(epoch from window_start) + $2 - extract(epoch from now()))::int as reset`,
      [key.slice(0, 300), windowSeconds],
    )
    const row = rows[0]
    if (row && row.count > max) {
      throw new OAuthProviderError('OAUTH_RATE_LIMITED', 'Too many requests; retry later', {
        headers: { 'Retry-After': String(Math.max(1, row.reset)) },
      })
    }
  }
}
