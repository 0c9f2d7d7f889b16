/**
 * Errors with a stable string `code`, an HTTP `status` and a `cause`.
 *
 * Every package throws `GroundworkError` (or a subclass) with a package-prefixed code typed as a
 * literal union (`CORE_JWT_EXPIRED`, `REST_…`/`PGRST…`, `AUTH_INVALID_CREDENTIALS`), so a
 * `switch (error.code)` narrows; each wire protocol renders it in its own format. Check errors by
 * `code`, not by message.
 */

/**
 * The brand every `GroundworkError` carries. `Symbol.for` makes it the same symbol in every copy
 * of this package, so an error thrown by one copy of `@groundwork/core` (a package that bundled
 * its own) is still recognised by another — while an unrelated error that merely has a string
 * `code` and a numeric `status` (a `pg` error, an HTTP client's error) is not.
 */
const BRAND: unique symbol = Symbol.for('groundwork.error')

/** Options every `GroundworkError` takes besides its code and message. */
export interface GroundworkErrorOptions {
  /** The HTTP status a handler answers with. @default 500 */
  status?: number
  /** The underlying error (kept on `error.cause`, never sent to clients). */
  cause?: unknown
  /** Extra, safe-to-show detail. */
  details?: unknown
  /** A hint for the caller on how to fix the request. */
  hint?: string
  /** Response headers the error implies (`Retry-After`, `Allow`, `WWW-Authenticate`). */
  headers?: Record<string, string>
}

/**
 * The base error of every Groundwork package. `Code` is the package's literal union of codes.
 *
 * @example
 * ```ts
 * try { await auth.api.signInWithPassword({ email, password }) }
 * catch (error) {
 *   if (isGroundworkError(error)) switch (error.code) { case 'AUTH_INVALID_CREDENTIALS': … }
 * }
 * ```
 */
export class GroundworkError<Code extends string = string> extends Error {
  override readonly name: string = 'GroundworkError'
  /** Stable, package-prefixed identifier, e.g. `CORE_JWT_EXPIRED`. */
  readonly code: Code
  /** The HTTP status a handler answers with. */
  readonly status: number
  /** Extra, safe-to-show detail (never SQL, never a stack). */
  readonly details?: unknown
  /** A hint for the caller on how to fix the request. */
  readonly hint?: string
  /** Response headers the error implies (`Retry-After`, `Allow`, `WWW-Authenticate`). */
  readonly headers?: Record<string, string>
  /** @internal The cross-copy brand (see {@link isGroundworkError}). */
  readonly [BRAND] = true

  constructor(code: Code, message: string, options: GroundworkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = options.status ?? 500
    if (options.details !== undefined) this.details = options.details
    if (options.hint !== undefined) this.hint = options.hint
    if (options.headers !== undefined) this.headers = options.headers
  }

  /**
   * `error instanceof GroundworkError` holds for errors of any copy of this package (by brand);
   * subclasses keep the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` was asked about (a subclass too).
    if (this === GroundworkError) return isGroundworkError(value)
    // biome-ignore lint/complexity/noThisInStatic: as above.
    return Function.prototype[Symbol.hasInstance].call(this, value)
  }
}

/** Codes thrown by `@groundwork/core` itself. */
export type CoreErrorCode =
  | 'CORE_CONFIG_INVALID'
  | 'CORE_CLAIMS_FAILED'
  | 'CORE_ROLE_NOT_ALLOWED'
  | 'CORE_SCOPE_DENIED'
  | 'CORE_TABLE_DENIED'
  | 'CORE_CREDENTIALS_REVOKED'
  | 'CORE_REQUEST_ABORTED'
  | 'CORE_JWT_INVALID'
  | 'CORE_JWT_EXPIRED'
  | 'CORE_JWT_CLAIM_INVALID'
  | 'CORE_JWT_MALFORMED_HEADER'
  | 'CORE_JWKS_UNAVAILABLE'
  | 'CORE_MIGRATION_NAME'
  | 'CORE_MIGRATION_DRIFT'
  | 'CORE_MIGRATION_FAILED'
  | 'CORE_EMBEDDED_POSTGRES_MISSING'
  | 'CORE_EMBEDDED_POSTGRES_FAILED'
  | 'CORE_EMBEDDED_POSTGRES_UNREACHABLE'
  | 'INTERNAL_ERROR'

/** An invalid option passed to a `createX()` factory; the message names the field to fix. */
export class ConfigError extends GroundworkError<'CORE_CONFIG_INVALID'> {
  override readonly name = 'ConfigError'
  /** Dotted path of the offending option, e.g. `jwt.secret`. */
  readonly field: string

  constructor(field: string, message: string, options: { cause?: unknown } = {}) {
    super('CORE_CONFIG_INVALID', `Invalid option \`${field}\`: ${message}`, { status: 500, ...options })
    this.field = field
  }
}

/**
 * True for any `GroundworkError`, across duplicated copies of this package: checks the brand
 * (`Symbol.for('groundwork.error')`), not the shape, so a third-party error with a string `code`
 * is never mistaken for one (and never has its message shown to a client).
 */
export function isGroundworkError(error: unknown): error is GroundworkError {
  return typeof error === 'object' && error !== null && (error as { [BRAND]?: unknown })[BRAND] === true
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
