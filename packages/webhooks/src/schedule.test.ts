import { describe, expect, it } from 'vitest'
import { MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelay, STANDARD_RETRY_SCHEDULE } from './schedule'

describe('retry schedule', () => {
  it('follows the Standard Webhooks schedule, with jitter within bounds, then stops', () => {
    expect(STANDARD_RETRY_SCHEDULE).toEqual([
      5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
    ])
    expect(retryDelay(STANDARD_RETRY_SCHEDULE, 1, 0, null)).toBe(5_000)
    expect(retryDelay(STANDARD_RETRY_SCHEDULE, 1, 0.1, null, () => 0)).toBe(4_500)
    expect(retryDelay(STANDARD_RETRY_SCHEDULE, 1, 0.1, null, () => 0.999999)).toBe(5_500)
    expect(retryDelay(STANDARD_RETRY_SCHEDULE, 7, 0, null)).toBe(36_000_000)
    expect(retryDelay(STANDARD_RETRY_SCHEDULE, 8, 0, null)).toBeNull()
  })

  it('never retries sooner than Retry-After', () => {
    expect(retryDelay([100], 1, 0, 5_000)).toBe(5_000)
    expect(retryDelay([10_000], 1, 0, 5_000)).toBe(10_000)
    expect(parseRetryAfter('120')).toBe(120_000)
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(55_000)
    expect(parseRetryAfter('99999999')).toBe(MAX_RETRY_AFTER_MS)
    expect(parseRetryAfter('soon')).toBeNull()
    expect(parseRetryAfter(null)).toBeNull()
  })
})
