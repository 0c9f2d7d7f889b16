import { CronExpressionParser } from 'cron-parser'
import { jobsError } from '../errors'

/** Throws `JOBS_INVALID_TIME_ZONE` unless `timeZone` is an IANA zone this runtime knows. */
export function assertTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone })
  } catch {
    throw jobsError(
      'JOBS_INVALID_TIME_ZONE',
      `"${timeZone}" is not an IANA time zone (e.g. "Europe/Paris", "Asia/Kolkata", "UTC")`,
    )
  }
}

/**
 * Throws `JOBS_INVALID_CRON` unless `cron` is a valid 5-field expression
 * (minute hour day-of-month month day-of-week).
 *
 * @see https://pubs.opengroup.org/onlinepubs/9799919799/utilities/crontab.html
 */
export function assertCron(cron: string): void {
  const fields = cron.trim().split(/\s+/)
  if (fields.length !== 5) {
    throw jobsError(
      'JOBS_INVALID_CRON',
      `Cron expression "${cron}" must have 5 fields (minute hour day-of-month month day-of-week)`,
    )
  }
  try {
    CronExpressionParser.parse(cron, { tz: 'UTC', strict: false })
  } catch (error) {
    throw jobsError('JOBS_INVALID_CRON', `Invalid cron expression "${cron}": ${(error as Error).message}`)
  }
}

/** The first tick of `cron` in `timeZone` strictly after `after`. */
export function nextTick(cron: string, timeZone: string, after: Date): Date {
  return CronExpressionParser.parse(cron, { tz: timeZone, currentDate: after }).next().toDate()
}

/** Every tick `t` with `from <= t <= to`, oldest first, at most `limit` (the latest ones if there are more). */
export function ticksBetween(cron: string, timeZone: string, from: Date, to: Date, limit = 1000): Date[] {
  const expression = CronExpressionParser.parse(cron, {
    tz: timeZone,
    currentDate: new Date(from.getTime() - 1),
  })
  const ticks: Date[] = []
  for (;;) {
    const tick = expression.next().toDate()
    if (tick.getTime() > to.getTime()) break
    ticks.push(tick)
    if (ticks.length > limit) ticks.shift()
  }
  return ticks
}
