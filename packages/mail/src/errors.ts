import { GroundworkError, type GroundworkErrorOptions } from '@groundwork/core'
import { HTTP_ERROR_STATUS, type HttpErrorCode } from '@groundwork/core/kit'

/**
 * The stable error codes of `@groundwork/mail` and their HTTP status (one table, used by
 * {@link MailError}). The handlers also answer the HTTP kit's codes (`HTTP_NOT_FOUND` for an
 * unknown route, `HTTP_METHOD_NOT_ALLOWED` with `Allow`, `HTTP_PAYLOAD_TOO_LARGE`,
 * `HTTP_BAD_JSON`, `HTTP_INVALID_BODY`, …), which {@link MailErrorCode} includes.
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
  /** A query parameter the handler cannot read (`limit`). */
  MAIL_INVALID_REQUEST: 400,
  /** The dev mailbox was called without credentials (it needs the service-role key). */
  MAIL_UNAUTHORIZED: 401,
  /** The admin handler or the dev mailbox was called without the service role. */
  MAIL_FORBIDDEN: 403,
  /** No such stored template or outbox message; the dev mailbox when it is disabled. */
  MAIL_NOT_FOUND: 404,
  /** The transport could not deliver (the job is retried with backoff). */
  MAIL_DELIVERY_FAILED: 502,
  /** The `mail` schema is missing: apply `mail.migrations`. */
  MAIL_NOT_MIGRATED: 500,
} as const

/** A code `@groundwork/mail` answers with: its own ({@link MAIL_ERROR_STATUS}) or the HTTP kit's. */
export type MailErrorCode = keyof typeof MAIL_ERROR_STATUS | HttpErrorCode

const STATUS: Record<MailErrorCode, number> = { ...HTTP_ERROR_STATUS, ...MAIL_ERROR_STATUS }

/**
 * The error `@groundwork/mail` throws; `switch (error.code)` narrows over {@link MailErrorCode}.
 * The status comes from the code.
 */
export class MailError extends GroundworkError<MailErrorCode> {
  override readonly name = 'MailError'

  constructor(code: MailErrorCode, message: string, options: Omit<GroundworkErrorOptions, 'status'> = {}) {
    super(code, message, { ...options, status: STATUS[code] })
  }
}

/** Builds a {@link MailError} with one of this package's codes and its status. */
export function mailError(
  code: MailErrorCode,
  message: string,
  options: Omit<GroundworkErrorOptions, 'status'> = {},
): MailError {
  return new MailError(code, message, options)
}
