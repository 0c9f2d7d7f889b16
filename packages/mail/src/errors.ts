import { GroundworkError } from '@groundwork/core'

/**
 * The stable error codes of `@groundwork/mail` and their HTTP status (one table, used by
 * {@link mailError} and the admin handler).
 */
export const MAIL_ERROR_STATUS = {
  /** `send`/`render` named a template that is neither built in, given to `createMail`, nor stored. */
  MAIL_UNKNOWN_TEMPLATE: 400,
  /** The message failed validation (addresses, template key, locale, variables). */
  MAIL_INVALID_MESSAGE: 400,
  /** A template does not parse or render, and no built-in one could stand in. */
  MAIL_TEMPLATE_ERROR: 422,
  /** A stored template was changed by someone else (`expectedVersion` mismatch). */
  MAIL_VERSION_CONFLICT: 409,
  MAIL_INVALID_REQUEST: 400,
  MAIL_UNAUTHORIZED: 401,
  MAIL_FORBIDDEN: 403,
  MAIL_NOT_FOUND: 404,
  /** The transport could not deliver (the job is retried with backoff). */
  MAIL_DELIVERY_FAILED: 502,
  /** The `mail` schema is missing: apply `mail.migrations`. */
  MAIL_NOT_MIGRATED: 500,
} as const

/** A code of {@link MAIL_ERROR_STATUS}. */
export type MailErrorCode = keyof typeof MAIL_ERROR_STATUS

/** Builds a `GroundworkError` with one of this package's codes and its status. */
export function mailError(
  code: MailErrorCode,
  message: string,
  options: { cause?: unknown; details?: unknown; hint?: string } = {},
): GroundworkError {
  return new GroundworkError(code, message, { ...options, status: MAIL_ERROR_STATUS[code] })
}
