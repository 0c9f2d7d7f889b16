import { GroundworkError, type GroundworkErrorOptions } from '@groundwork/core'
import { HTTP_ERROR_STATUS, type HttpErrorCode } from '@groundwork/core/kit'

/**
 * The stable error codes of `@groundwork/jobs` and their HTTP status (one table, used by
 * {@link JobsError}). The admin handler also answers the HTTP kit's codes (`HTTP_NOT_FOUND` for an
 * unknown route, `HTTP_METHOD_NOT_ALLOWED` with `Allow`, `HTTP_PAYLOAD_TOO_LARGE`,
 * `HTTP_BAD_JSON`, `HTTP_INVALID_BODY`, …), which {@link JobsErrorCode} includes.
 */
export const JOBS_ERROR_STATUS = {
  JOBS_INVALID_PAYLOAD: 400,
  JOBS_UNKNOWN_TASK: 400,
  JOBS_INVALID_REQUEST: 400,
  JOBS_INVALID_CRON: 400,
  JOBS_INVALID_TIME_ZONE: 400,
  JOBS_UNAUTHORIZED: 401,
  JOBS_FORBIDDEN: 403,
  /** No job with that id. */
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

/** A code `@groundwork/jobs` answers with: its own ({@link JOBS_ERROR_STATUS}) or the HTTP kit's. */
export type JobsErrorCode = keyof typeof JOBS_ERROR_STATUS | HttpErrorCode

const STATUS: Record<JobsErrorCode, number> = { ...HTTP_ERROR_STATUS, ...JOBS_ERROR_STATUS }

/**
 * The error `@groundwork/jobs` throws; `switch (error.code)` narrows over {@link JobsErrorCode}.
 * The status comes from the code.
 */
export class JobsError extends GroundworkError<JobsErrorCode> {
  override readonly name = 'JobsError'

  constructor(code: JobsErrorCode, message: string, options: Omit<GroundworkErrorOptions, 'status'> = {}) {
    super(code, message, { ...options, status: STATUS[code] })
  }
}

/** Builds a {@link JobsError} with one of this package's codes and its status. */
export function jobsError(
  code: JobsErrorCode,
  message: string,
  options: Omit<GroundworkErrorOptions, 'status'> = {},
): JobsError {
  return new JobsError(code, message, options)
}
