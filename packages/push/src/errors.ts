import { GroundworkError, type GroundworkErrorOptions } from '@groundwork/core'
import { HTTP_ERROR_STATUS, type HttpErrorCode } from '@groundwork/core/kit'

/**
 * The stable error codes of `@groundwork/push` and their HTTP status (one table, used by
 * {@link PushError}). The handlers also answer the HTTP kit's codes (`HTTP_NOT_FOUND` for an
 * unknown route, `HTTP_METHOD_NOT_ALLOWED` with `Allow`, `HTTP_PAYLOAD_TOO_LARGE`,
 * `HTTP_BAD_JSON`, `HTTP_INVALID_BODY`, …), which {@link PushErrorCode} includes.
 */
export const PUSH_ERROR_STATUS = {
  /** A device route was called without a signed-in user (no `sub` in the credentials). */
  PUSH_UNAUTHORIZED: 401,
  /** `POST /send`, `GET /notifications/:id` or the dev page without the service role, an admin key or a `push:send` key. */
  PUSH_FORBIDDEN: 403,
  /** No such device (or not the caller's), notification or dev message; the dev page when disabled. */
  PUSH_NOT_FOUND: 404,
  /** A device registration that cannot be stored (token format, provider, environment, topic). */
  PUSH_INVALID_DEVICE: 400,
  /** A notification that cannot be sent (no recipients, reserved data keys, bad TTL, …). */
  PUSH_INVALID_MESSAGE: 400,
  /** The payload is over a provider's limit (APNs 4096 bytes, FCM 4096 bytes of notification and data). */
  PUSH_PAYLOAD_TOO_LARGE: 413,
  /** A query parameter the handler cannot read (`limit`). */
  PUSH_INVALID_REQUEST: 400,
  /** Deliveries failed with retryable answers (429/5xx/network): the job is retried with backoff. */
  PUSH_DELIVERY_RETRY: 503,
  /** The `push` schema is missing: apply `push.migrations`. */
  PUSH_NOT_MIGRATED: 500,
} as const

/** A code `@groundwork/push` answers with: its own ({@link PUSH_ERROR_STATUS}) or the HTTP kit's. */
export type PushErrorCode = keyof typeof PUSH_ERROR_STATUS | HttpErrorCode

const STATUS: Record<PushErrorCode, number> = { ...HTTP_ERROR_STATUS, ...PUSH_ERROR_STATUS }

/**
 * The error `@groundwork/push` throws; `switch (error.code)` narrows over {@link PushErrorCode}.
 * The status comes from the code.
 */
export class PushError extends GroundworkError<PushErrorCode> {
  override readonly name = 'PushError'

  constructor(code: PushErrorCode, message: string, options: Omit<GroundworkErrorOptions, 'status'> = {}) {
    super(code, message, { ...options, status: STATUS[code] })
  }
}

/** Builds a {@link PushError} with one of this package's codes and its status. */
export function pushError(
  code: PushErrorCode,
  message: string,
  options: Omit<GroundworkErrorOptions, 'status'> = {},
): PushError {
  return new PushError(code, message, options)
}
