import { GroundworkError, type GroundworkErrorOptions } from '@groundwork/core'
import { HTTP_ERROR_STATUS, type HttpErrorCode } from '@groundwork/core/kit'

/**
 * The stable error codes of `@groundwork/realtime` and their HTTP status (one table, used by
 * {@link RealtimeError}). The handler also answers the HTTP kit's codes (`HTTP_NOT_FOUND` for an
 * unknown route, `HTTP_METHOD_NOT_ALLOWED` with `Allow`, `HTTP_PAYLOAD_TOO_LARGE`,
 * `HTTP_BAD_JSON`, `HTTP_JSON_TOO_DEEP`, `HTTP_INVALID_BODY`, …), which {@link RealtimeErrorCode}
 * includes.
 */
export const REALTIME_ERROR_STATUS = {
  REALTIME_INVALID_REQUEST: 400,
  REALTIME_INVALID_FILTER: 400,
  REALTIME_UNAUTHORIZED: 401,
  REALTIME_TOKEN_TOO_LONG_LIVED: 401,
  REALTIME_FORBIDDEN: 403,
  /** A table that does not exist (enable/disable). */
  REALTIME_NOT_FOUND: 404,
  REALTIME_TABLE_NOT_PUBLISHED: 404,
  REALTIME_UNKNOWN_COLUMN: 400,
  REALTIME_NOT_STARTED: 503,
  REALTIME_CLOSED: 503,
} as const

/** A code `@groundwork/realtime` answers with: its own ({@link REALTIME_ERROR_STATUS}) or the HTTP kit's. */
export type RealtimeErrorCode = keyof typeof REALTIME_ERROR_STATUS | HttpErrorCode

const STATUS: Record<RealtimeErrorCode, number> = { ...HTTP_ERROR_STATUS, ...REALTIME_ERROR_STATUS }

/**
 * The error `@groundwork/realtime` throws; `switch (error.code)` narrows over
 * {@link RealtimeErrorCode}. The status comes from the code.
 */
export class RealtimeError extends GroundworkError<RealtimeErrorCode> {
  override readonly name = 'RealtimeError'

  constructor(
    code: RealtimeErrorCode,
    message: string,
    options: Omit<GroundworkErrorOptions, 'status'> = {},
  ) {
    super(code, message, { ...options, status: STATUS[code] })
  }
}

/** Builds a {@link RealtimeError} with one of this package's codes and its status. */
export function realtimeError(
  code: RealtimeErrorCode,
  message: string,
  options: Omit<GroundworkErrorOptions, 'status'> = {},
): RealtimeError {
  return new RealtimeError(code, message, options)
}
