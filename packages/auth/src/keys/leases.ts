import type { RateLimitState } from '@groundwork/core'
import type { Queryable } from '../db'
import { AuthError } from '../errors'
import type { Budget } from './cache'

/**
 * Takes a slice of a budget's window from Postgres: one upsert on the `(bucket, window)` row that
 * grants `least(lease, limit - used)` (0 once the window's budget is spent) and returns what it
 * granted, the window's total use and the milliseconds until it ends. The row lock makes
 * concurrent grants from any number of instances add up to at most `limit`. Windows are fixed,
 * aligned on the epoch with the database's clock.
 */
const TAKE_LEASE = `insert into auth.api_usage as u (bucket, window_start, window_end, used, last_grant)
  select $1::uuid, w.start, w.start + make_interval(secs => $2::int), least($3::int, $4::int), least($3::int, $4::int)
    from (select to_timestamp(floor(extract(epoch from now()) / $2::int) * $2::int) as start) w
  on conflict (bucket, window_start) do update
    set last_grant = least($3::int, greatest(0, $4::int - u.used)),
        used = u.used + least($3::int, greatest(0, $4::int - u.used))
  returning u.last_grant as granted, u.used, extract(epoch from (u.window_end - now())) * 1000 as reset_ms`

/** Leases of budgets, spent in memory; see {@link createLeases}. */
export interface Leases {
  /**
   * Spends one request of `budget`: the budget's state for the `RateLimit-*` headers, or 429
   * `over_request_rate_limit` (with `Retry-After` and the headers) once the window's budget is spent.
   */
  spend(budget: Budget): Promise<RateLimitState>
  /** Lease requests sent to Postgres so far (for the benchmark and tests). */
  readonly leaseRequests: number
}

interface BucketState {
  readonly limit: number
  readonly windowSeconds: number
  /** Local epoch ms at which the current window ends (0: no lease yet). */
  windowEnd: number
  /** Requests of this instance's lease not spent yet. */
  left: number
  /** `limit - used` at the last grant: budget no instance holds yet. */
  unleased: number
  /** The last grant was 0: refuse locally until `windowEnd`. */
  spent: boolean
  inflight: Promise<void> | null
  /** A requests-per-second meter: the current second, its count, and the previous second's. */
  second: number
  thisSecond: number
  lastSecond: number
}

/** Buckets whose state is kept at most; idle ones past their window go first. */
const MAX_BUCKETS = 10_000

/**
 * The lease size for a budget: at most 1% of the limit (so the leases two instances may strand
 * when traffic stops are at most 2% of it), and never more than this instance is expected to
 * spend before the window ends (its rate over the last second × the time left), so near the end
 * of a window leases shrink to 1 instead of being stranded.
 */
export function leaseSize(limit: number, requestsPerSecond: number, secondsLeft: number): number {
  const max = Math.max(1, Math.floor(limit / 100))
  const expected = Math.ceil(Math.max(1, requestsPerSecond) * Math.max(0, secondsLeft))
  return Math.max(1, Math.min(max, expected))
}

function overLimit(budget: Budget, state: BucketState, now: number): AuthError {
  const reset = String(Math.max(1, Math.ceil((state.windowEnd - now) / 1000)))
  const whose = budget.owner === 'app' ? "this app's" : "this API key's"
  return new AuthError(
    'over_request_rate_limit',
    `Request rate limit reached: ${whose} budget of ${budget.limit} requests per ${budget.windowSeconds} s is spent`,
    {
      status: 429,
      headers: {
        'Retry-After': reset,
        'RateLimit-Limit': String(budget.limit),
        'RateLimit-Remaining': '0',
        'RateLimit-Reset': reset,
      },
    },
  )
}

/**
 * Rate limits shared by every instance without a round trip per request: each instance takes
 * leases (slices) of a budget's window from `auth.api_usage` and spends them in memory; concurrent
 * requests of one budget share one in-flight lease request. Postgres never grants more than the
 * limit in a window, so the total admitted never exceeds it; it can fall short by the leases
 * instances hold unspent when the window ends (see {@link leaseSize} and docs/auth.md).
 */
export function createLeases(db: Queryable): Leases {
  const states = new Map<string, BucketState>()
  let leaseRequests = 0

  function stateOf(budget: Budget): BucketState {
    const existing = states.get(budget.bucket)
    // A changed budget starts over (the next lease is taken against the new limit).
    if (existing && existing.limit === budget.limit && existing.windowSeconds === budget.windowSeconds) {
      return existing
    }
    if (states.size >= MAX_BUCKETS) {
      const now = Date.now()
      for (const [bucket, state] of states)
        if (state.windowEnd < now && !state.inflight) states.delete(bucket)
      if (states.size >= MAX_BUCKETS) states.delete(states.keys().next().value as string)
    }
    const state: BucketState = {
      limit: budget.limit,
      windowSeconds: budget.windowSeconds,
      windowEnd: 0,
      left: 0,
      unleased: budget.limit,
      spent: false,
      inflight: null,
      second: 0,
      thisSecond: 0,
      lastSecond: 0,
    }
    states.set(budget.bucket, state)
    return state
  }

  async function lease(budget: Budget, state: BucketState): Promise<void> {
    const now = Date.now()
    // The window's end by the local clock, until Postgres says (only sizes the lease).
    const windowMs = budget.windowSeconds * 1000
    const end = state.windowEnd > now ? state.windowEnd : (Math.floor(now / windowMs) + 1) * windowMs
    const size = leaseSize(budget.limit, Math.max(state.lastSecond, state.thisSecond), (end - now) / 1000)
    leaseRequests++
    const { rows } = await db.query<{ granted: number; used: number; reset_ms: string | number }>(
      TAKE_LEASE,
      [budget.bucket, budget.windowSeconds, size, budget.limit],
    )
    const row = rows[0]
    if (!row) throw new Error('auth.api_usage: the lease upsert returned no row')
    state.windowEnd = Date.now() + Math.max(0, Number(row.reset_ms))
    state.left = row.granted
    state.unleased = Math.max(0, budget.limit - row.used)
    state.spent = row.granted === 0
    // Windows that ended are pruned now and then by whichever instance comes along.
    if (leaseRequests % 1000 === 0) {
      db.query("delete from auth.api_usage where window_end < now() - interval '1 minute'").catch(() => {})
    }
  }

  return {
    async spend(budget) {
      const state = stateOf(budget)
      const second = Math.floor(Date.now() / 1000)
      if (second !== state.second) {
        state.lastSecond = second === state.second + 1 ? state.thisSecond : 0
        state.thisSecond = 0
        state.second = second
      }
      state.thisSecond++
      // Every pass either spends, refuses, or waits for a lease (which grants or marks the window spent).
      for (;;) {
        const now = Date.now()
        if (now >= state.windowEnd) {
          state.left = 0
          state.spent = false
        }
        if (state.left > 0) {
          state.left--
          return {
            limit: budget.limit,
            remaining: state.unleased + state.left,
            reset: (state.windowEnd - now) / 1000,
          }
        }
        if (state.spent) throw overLimit(budget, state, now)
        state.inflight ??= lease(budget, state).finally(() => {
          state.inflight = null
        })
        await state.inflight
      }
    },
    get leaseRequests() {
      return leaseRequests
    },
  }
}
