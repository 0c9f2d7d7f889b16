import { GroundworkError, type GroundworkErrorOptions } from '@groundwork/core'
import { HTTP_ERROR_STATUS, type HttpErrorCode } from '@groundwork/core/kit'

/**
 * The stable error codes of `@groundwork/webhooks` and their HTTP status. The admin handler also
 * answers the HTTP kit's codes (`HTTP_NOT_FOUND`, `HTTP_PAYLOAD_TOO_LARGE`, `HTTP_INVALID_BODY`, …).
 */
export const WEBHOOKS_ERROR_STATUS = {
  /** No credentials on an admin route. */
  WEBHOOKS_UNAUTHORIZED: 401,
  /** Credentials that are neither the service role nor an `admin` key; or no `authenticate`. */
  WEBHOOKS_FORBIDDEN: 403,
  /** No such endpoint, secret or delivery. */
  WEBHOOKS_NOT_FOUND: 404,
  /** An endpoint that cannot be stored: URL (SSRF guard), table, events, filter, headers. */
  WEBHOOKS_INVALID_ENDPOINT: 400,
  /** A query parameter the handler cannot read. */
  WEBHOOKS_INVALID_REQUEST: 400,
  /** The table to watch does not exist or has no primary key. */
  WEBHOOKS_INVALID_TABLE: 400,
  /** Removing the last active secret of an endpoint (it could no longer sign). */
  WEBHOOKS_LAST_SECRET: 409,
  /** The `webhooks` schema is missing: apply `webhooks.migrations`. */
  WEBHOOKS_NOT_MIGRATED: 500,
} as const

/** A code `@groundwork/webhooks` answers with: its own or the HTTP kit's. */
export type WebhooksErrorCode = keyof typeof WEBHOOKS_ERROR_STATUS | HttpErrorCode

const STATUS: Record<WebhooksErrorCode, number> = { ...HTTP_ERROR_STATUS, ...WEBHOOKS_ERROR_STATUS }

/** The error `@groundwork/webhooks` throws; `switch (error.code)` narrows over {@link WebhooksErrorCode}. */
export class WebhooksError extends GroundworkError<WebhooksErrorCode> {
  override readonly name = 'WebhooksError'

  constructor(
    code: WebhooksErrorCode,
    message: string,
    options: Omit<GroundworkErrorOptions, 'status'> = {},
  ) {
    super(code, message, { ...options, status: STATUS[code] })
  }
}

/** Builds a {@link WebhooksError}. */
export function webhooksError(
  code: WebhooksErrorCode,
  message: string,
  options: Omit<GroundworkErrorOptions, 'status'> = {},
): WebhooksError {
  return new WebhooksError(code, message, options)
}
