/**
 * Errors with a stable string `code`, an HTTP `status` and a `cause`.
 *
 * Every package throws `GroundworkError` (or a subclass) with a package-prefixed code
 * (`CORE_JWT_EXPIRED`, `REST_PARSE_ERROR`, `AUTH_INVALID_CREDENTIALS`); each wire protocol
 * renders it in its own format. Check errors by `code` (a `switch` narrows it), not by message.
 */
export class GroundworkError extends Error {
  override readonly name: string = 'GroundworkError'
  /** Stable, package-prefixed identifier, e.g. `CORE_JWT_EXPIRED`. */
  readonly code: string
  /** The HTTP status a handler answers with. */
  readonly status: number
  /** Extra, safe-to-show detail (never SQL, never a stack). */
  readonly details?: unknown
  /** A hint for the caller on how to fix the request. */
  readonly hint?: string

  constructor(
    code: string,
    message: string,
    options: { status?: number; cause?: unknown; details?: unknown; hint?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = options.status ?? 500
    if (options.details !== undefined) this.details = options.details
    if (options.hint !== undefined) this.hint = options.hint
  }
}

/** An invalid option passed to a `createX()` factory; the message names the field to fix. */
export class ConfigError extends GroundworkError {
  override readonly name = 'ConfigError'
  /** Dotted path of the offending option, e.g. `jwt.secret`. */
  readonly field: string

  constructor(field: string, message: string, options: { cause?: unknown } = {}) {
    super('CORE_CONFIG_INVALID', `Invalid option \`${field}\`: ${message}`, { status: 500, ...options })
    this.field = field
  }
}

/** True for any `GroundworkError`, across duplicated copies of this package (checks the shape, not `instanceof`). */
export function isGroundworkError(error: unknown): error is GroundworkError {
  return (
    error instanceof GroundworkError ||
    (error instanceof Error &&
      typeof (error as { code?: unknown }).code === 'string' &&
      typeof (error as { status?: unknown }).status === 'number' &&
      (error as { name?: unknown }).name !== 'DatabaseError')
  )
}

/** Called with every error a handler could not map to a protocol error (it answers a generic 500). */
export type OnError = (error: unknown, request?: Request) => void

/**
 * Turns anything thrown into a `GroundworkError` safe to render: known errors pass through,
 * unknown ones become a generic `INTERNAL_ERROR` 500 (and are reported to `onError`),
 * so no stack trace, SQL or internal message ever reaches a client.
 */
export function toGroundworkError(error: unknown, onError?: OnError, request?: Request): GroundworkError {
  if (isGroundworkError(error)) return error
  onError?.(error, request)
  return new GroundworkError('INTERNAL_ERROR', 'Internal server error', { status: 500, cause: error })
}
