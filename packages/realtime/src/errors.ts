import { GroundworkError } from '@groundwork/core'

/** The stable error codes of `@groundwork/realtime` and their HTTP status (one table). */
export const REALTIME_ERROR_STATUS = {
  REALTIME_INVALID_REQUEST: 400,
  REALTIME_INVALID_FILTER: 400,
  REALTIME_UNAUTHORIZED: 401,
  REALTIME_TOKEN_TOO_LONG_LIVED: 401,
  REALTIME_FORBIDDEN: 403,
  REALTIME_NOT_FOUND: 404,
  REALTIME_TABLE_NOT_PUBLISHED: 404,
  REALTIME_UNKNOWN_COLUMN: 400,
  REALTIME_METHOD_NOT_ALLOWED: 405,
  REALTIME_NOT_STARTED: 503,
  REALTIME_CLOSED: 503,
} as const

/** A code of {@link REALTIME_ERROR_STATUS}. */
export type RealtimeErrorCode = keyof typeof REALTIME_ERROR_STATUS

/** Builds a `GroundworkError` with one of this package's codes and its status. */
export function realtimeError(
  code: RealtimeErrorCode,
  message: string,
  options: { cause?: unknown; details?: unknown; hint?: string } = {},
): GroundworkError {
  return new GroundworkError(code, message, { ...options, status: REALTIME_ERROR_STATUS[code] })
}
