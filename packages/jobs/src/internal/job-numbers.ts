import { jobsError } from '../errors'

/** graphile-worker stores `priority`, `attempts` and `max_attempts` as `smallint`. */
const SMALLINT_MAX = 32_767

const RULES = {
  priority: { min: -SMALLINT_MAX - 1, what: 'an integer from -32768 to 32767' },
  attempts: { min: 0, what: 'an integer from 0 to 32767' },
  maxAttempts: { min: 1, what: 'an integer from 1 to 32767' },
} as const

/**
 * Checks the numbers a job or schedule carries against graphile-worker's column types, so a bad
 * value is a 400 `JOBS_INVALID_REQUEST` naming the field — not a Postgres "out of range" 500 (or,
 * for a schedule, a tick that fails every time it fires). `null`/`undefined` mean "not given".
 *
 * @see https://worker.graphile.org/docs/jobs
 */
export function checkJobNumbers(
  values: Partial<Record<keyof typeof RULES, number | null | undefined>>,
  subject: string,
): void {
  for (const [field, rule] of Object.entries(RULES) as [
    keyof typeof RULES,
    (typeof RULES)[keyof typeof RULES],
  ][]) {
    const value = values[field]
    if (value === undefined || value === null) continue
    if (!Number.isInteger(value) || value < rule.min || value > SMALLINT_MAX) {
      throw jobsError('JOBS_INVALID_REQUEST', `${subject} \`${field}\` must be ${rule.what}`)
    }
  }
}
