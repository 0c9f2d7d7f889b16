import { describe, expect, it } from 'vitest'
import { assertCron, assertTimeZone, nextTick, ticksBetween } from './cron'

describe('cron helpers', () => {
  it('computes the next tick in a non-UTC time zone', () => {
    // 09:30 in Kolkata (UTC+05:30) is 04:00 UTC.
    expect(nextTick('30 9 * * *', 'Asia/Kolkata', new Date('2026-01-01T03:00:00Z')).toISOString()).toBe(
      '2026-01-01T04:00:00.000Z',
    )
    expect(nextTick('30 9 * * *', 'Asia/Kolkata', new Date('2026-01-01T04:00:00Z')).toISOString()).toBe(
      '2026-01-02T04:00:00.000Z',
    )
  })

  it('lists ticks in a closed range, oldest first', () => {
    const ticks = ticksBetween(
      '*/15 * * * *',
      'UTC',
      new Date('2026-01-01T10:00:00Z'),
      new Date('2026-01-01T11:00:00Z'),
    )
    expect(ticks.map((t) => t.toISOString().slice(11, 16))).toEqual([
      '10:00',
      '10:15',
      '10:30',
      '10:45',
      '11:00',
    ])
  })

  it('keeps only the latest ticks beyond the limit', () => {
    const ticks = ticksBetween(
      '* * * * *',
      'UTC',
      new Date('2026-01-01T10:00:00Z'),
      new Date('2026-01-01T10:09:00Z'),
      3,
    )
    expect(ticks.map((t) => t.toISOString().slice(11, 16))).toEqual(['10:07', '10:08', '10:09'])
  })

  it('rejects bad expressions and zones with stable codes', () => {
    expect(() => assertCron('* * * *')).toThrow(expect.objectContaining({ code: 'JOBS_INVALID_CRON' }))
    expect(() => assertCron('0 0 * * * *')).toThrow(expect.objectContaining({ code: 'JOBS_INVALID_CRON' }))
    expect(() => assertCron('61 * * * *')).toThrow(expect.objectContaining({ code: 'JOBS_INVALID_CRON' }))
    expect(() => assertCron('*/5 9-17 * * 1-5')).not.toThrow()
    expect(() => assertTimeZone('Mars/Olympus')).toThrow(
      expect.objectContaining({ code: 'JOBS_INVALID_TIME_ZONE' }),
    )
    expect(() => assertTimeZone('Asia/Kolkata')).not.toThrow()
  })
})
