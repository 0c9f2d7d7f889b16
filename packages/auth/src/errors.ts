import { GroundworkError } from '@groundwork/core'

/**
 * GoTrue's error code names (`internal/api/apierrors/errorcode.go`): the `code` (or `error_code`)
 * field of every error body and the `x-sb-error-code` header.
 *
 * @see https://supabase.com/docs/guides/auth/debugging/error-codes
 */
export type GoTrueErrorCode =
  | 'unexpected_failure'
  | 'validation_failed'
  | 'bad_json'
  | 'email_exists'
  | 'phone_exists'
  | 'bad_jwt'
  | 'not_admin'
  | 'no_authorization'
  | 'user_not_found'
  | 'session_not_found'
  | 'session_expired'
  | 'refresh_token_not_found'
  | 'refresh_token_already_used'
  | 'flow_state_not_found'
  | 'flow_state_expired'
  | 'signup_disabled'
  | 'user_banned'
  | 'invite_not_found'
  | 'email_provider_disabled'
  | 'phone_provider_disabled'
  | 'email_not_confirmed'
  | 'phone_not_confirmed'
  | 'user_already_exists'
  | 'conflict'
  | 'provider_disabled'
  | 'reauthentication_needed'
  | 'same_password'
  | 'reauthentication_not_valid'
  | 'otp_expired'
  | 'otp_disabled'
  | 'weak_password'
  | 'over_request_rate_limit'
  | 'over_email_send_rate_limit'
  | 'over_sms_send_rate_limit'
  | 'bad_code_verifier'
  | 'anonymous_provider_disabled'
  | 'invalid_credentials'
  | 'email_address_not_authorized'
  | 'email_address_invalid'
  | 'request_timeout'
  | 'unknown'

/** Status GoTrue answers with for each code unless a call site says otherwise. */
const DEFAULT_STATUS: Partial<Record<GoTrueErrorCode, number>> = {
  unexpected_failure: 500,
  bad_jwt: 403,
  not_admin: 403,
  no_authorization: 401,
  user_not_found: 404,
  session_not_found: 403,
  email_exists: 422,
  phone_exists: 422,
  user_already_exists: 422,
  signup_disabled: 422,
  weak_password: 422,
  same_password: 422,
  email_address_invalid: 400,
  email_not_confirmed: 400,
  invalid_credentials: 400,
  over_request_rate_limit: 429,
  over_email_send_rate_limit: 429,
  over_sms_send_rate_limit: 429,
  user_banned: 403,
  otp_expired: 403,
  flow_state_not_found: 404,
  flow_state_expired: 403,
  conflict: 409,
  request_timeout: 504,
}

/**
 * An error rendered in GoTrue's wire format. `code` is `AUTH_` + the upper-cased GoTrue code
 * (stable for `switch`), `errorCode` the GoTrue name itself.
 */
export class AuthError extends GroundworkError {
  override readonly name: string = 'AuthError'
  /** The GoTrue error code name sent on the wire. */
  readonly errorCode: GoTrueErrorCode
  /** Extra top-level fields of the body (e.g. `weak_password: { reasons }`). */
  readonly extra: Record<string, unknown> | undefined
  /** Extra response headers (e.g. `Retry-After`). */
  override readonly headers: Record<string, string> | undefined
  /**
   * The transaction's writes are committed although the request fails (GoTrue's
   * `NewCommitWithError`): a refresh-token reuse revokes the family *and* answers an error.
   */
  readonly commit: boolean

  constructor(
    errorCode: GoTrueErrorCode,
    message: string,
    options: {
      status?: number
      cause?: unknown
      extra?: Record<string, unknown>
      headers?: Record<string, string>
      commit?: boolean
    } = {},
  ) {
    const status = options.status ?? DEFAULT_STATUS[errorCode] ?? 400
    super(`AUTH_${errorCode.toUpperCase()}`, message, {
      status,
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    })
    this.errorCode = errorCode
    this.extra = options.extra
    this.headers = options.headers
    this.commit = options.commit ?? false
  }
}

/**
 * An OAuth 2.0 error (`{ error, error_description }`, RFC 6749 §5.2), which GoTrue still answers
 * on `/token` for an unknown `grant_type` and a missing refresh token.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export class OAuthError extends GroundworkError {
  override readonly name: string = 'OAuthError'
  readonly error: string
  readonly description: string

  constructor(error: string, description: string, status = 400) {
    super(`AUTH_OAUTH_${error.toUpperCase()}`, description || error, { status })
    this.error = error
    this.description = description
  }
}

/** Shorthand for `new AuthError(code, message, { status })`. */
export function authError(code: GoTrueErrorCode, message: string, status?: number): AuthError {
  return new AuthError(code, message, status === undefined ? {} : { status })
}

/** The error a failed password policy throws: 422 `weak_password` with `weak_password.reasons`. */
export function weakPasswordError(message: string, reasons: string[]): AuthError {
  return new AuthError('weak_password', message, { status: 422, extra: { weak_password: { reasons } } })
}
