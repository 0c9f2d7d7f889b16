import { GroundworkError } from '@groundwork/core'

/**
 * The stable error codes of `@groundwork/jobs` and their HTTP status (one table, used by
 * {@link jobsError} and the admin handler).
 */
export const JOBS_ERROR_STATUS = {
  JOBS_INVALID_PAYLOAD: 400,
  JOBS_UNKNOWN_TASK: 400,
  JOBS_INVALID_REQUEST: 400,
  JOBS_INVALID_CRON: 400,
  JOBS_INVALID_TIME_ZONE: 400,
  JOBS_UNAUTHORIZED: 401,
  JOBS_FORBIDDEN: 403,
  JOBS_NOT_FOUND: 404,
  JOBS_JOB_LOCKED: 409,
  JOBS_SCHEDULE_EXISTS: 409,
  JOBS_SCHEDULE_NOT_FOUND: 404,
  JOBS_NOT_A_MATVIEW: 400,
  JOBS_MATVIEW_NOT_REGISTERED: 404,
  JOBS_MATVIEW_CONCURRENT_UNSUPPORTED: 409,
  JOBS_MATVIEW_REFRESH_IN_PROGRESS: 409,
  JOBS_MATVIEW_REFRESH_FAILED: 500,
  JOBS_ALREADY_STARTED: 409,
  JOBS_ENQUEUE_FAILED: 500,
  JOBS_NOT_MIGRATED: 500,
  JOBS_RUNNER_FAILED: 500,
} as const

/** A code of {@link JOBS_ERROR_STATUS}. */
export type JobsErrorCode = keyof typeof JOBS_ERROR_STATUS

/** Builds a `GroundworkError` with one of this package's codes and its status. */
export function jobsError(
  code: JobsErrorCode,
  message: string,
  options: { cause?: unknown; details?: unknown; hint?: string } = {},
): GroundworkError {
  return new GroundworkError(code, message, { ...options, status: JOBS_ERROR_STATUS[code] })
}
