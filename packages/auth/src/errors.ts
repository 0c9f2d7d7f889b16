import { GroundworkError } from '@groundwork/core'

/**
 * GoTrue's error code names (`internal/api/apierrors/errorcode.go`): the `code` (or `error_code`)
 * field of every error body and the `x-sb-error-code` header — plus Groundwork's own for apps and
 * API keys, which GoTrue does not have.
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
  // Social sign-in, identities and MFA (GoTrue's names):
  | 'bad_oauth_state'
  | 'bad_oauth_callback'
  | 'oauth_provider_not_supported'
  | 'identity_already_exists'
  | 'identity_not_found'
  | 'single_identity_not_deletable'
  | 'manual_linking_disabled'
  | 'provider_email_needs_verification'
  | 'mfa_factor_not_found'
  | 'mfa_challenge_expired'
  | 'mfa_verification_failed'
  | 'mfa_verification_rejected'
  | 'mfa_factor_name_conflict'
  | 'mfa_totp_enroll_not_enabled'
  | 'mfa_totp_verify_not_enabled'
  | 'too_many_enrolled_mfa_factors'
  | 'insufficient_aal'
  // Groundwork's own (apps and API keys; GoTrue has none of these):
  | 'invalid_api_key'
  | 'secret_key_in_browser'
  | 'app_not_found'
  | 'api_key_not_found'
  | 'user_owns_apps'

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
  invalid_api_key: 401,
  secret_key_in_browser: 401,
  app_not_found: 404,
  api_key_not_found: 404,
  user_owns_apps: 409,
  bad_oauth_state: 400,
  bad_oauth_callback: 400,
  identity_already_exists: 422,
  identity_not_found: 404,
  single_identity_not_deletable: 422,
  manual_linking_disabled: 404,
  mfa_factor_not_found: 404,
  mfa_challenge_expired: 422,
  mfa_verification_failed: 422,
  mfa_verification_rejected: 422,
  mfa_factor_name_conflict: 422,
  mfa_totp_enroll_not_enabled: 422,
  mfa_totp_verify_not_enabled: 422,
  too_many_enrolled_mfa_factors: 422,
  insufficient_aal: 403,
}

/** `AuthError.code`: `AUTH_` + the upper-cased GoTrue code, so a `switch` narrows. */
export type AuthErrorCode = `AUTH_${Uppercase<GoTrueErrorCode>}`

/** Options of {@link AuthError}. */
export interface AuthErrorOptions {
  /** @default the code's usual GoTrue status, else 400 */
  status?: number
  /** The underlying error (kept on `error.cause`, never sent to clients). */
  cause?: unknown
  /** Extra top-level fields of the body (e.g. `weak_password: { reasons }`). */
  extra?: Record<string, unknown>
  /** Extra response headers (e.g. `Retry-After`). */
  headers?: Record<string, string>
  /** Commit the transaction's writes although the call fails (see {@link AuthError.commit}). */
  commit?: boolean
}

/**
 * What `auth.api` throws and the handler renders in GoTrue's wire format. `code` is `AUTH_` + the
 * upper-cased GoTrue code (stable for `switch`), `errorCode` the GoTrue name itself; `cause` keeps
 * the underlying error (a database failure, a hook's exception) for logs, never for clients.
 *
 * @see https://supabase.com/docs/guides/auth/debugging/error-codes
 */
export class AuthError extends GroundworkError<AuthErrorCode> {
  override readonly name: string = 'AuthError'
  /** The GoTrue error code name sent on the wire. */
  readonly errorCode: GoTrueErrorCode
  /** Extra top-level fields of the body (e.g. `weak_password: { reasons }`). */
  readonly extra: Record<string, unknown> | undefined
  /**
   * The transaction's writes are committed although the call fails (GoTrue's
   * `NewCommitWithError`): a refresh-token reuse revokes the family *and* answers an error.
   */
  readonly commit: boolean

  constructor(errorCode: GoTrueErrorCode, message: string, options: AuthErrorOptions = {}) {
    super(`AUTH_${errorCode.toUpperCase()}` as AuthErrorCode, message, {
      status: options.status ?? DEFAULT_STATUS[errorCode] ?? 400,
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
    })
    this.errorCode = errorCode
    this.extra = options.extra
    this.commit = options.commit ?? false
  }
}

/** The OAuth 2.0 error codes (RFC 6749 §5.2). */
export type OAuthErrorName =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'

/**
 * An OAuth 2.0 error (`{ error, error_description }`, RFC 6749 §5.2), which GoTrue still answers
 * on `/token` for an unknown `grant_type` and a missing refresh token.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export class OAuthError extends GroundworkError<`AUTH_OAUTH_${Uppercase<OAuthErrorName>}`> {
  override readonly name: string = 'OAuthError'
  readonly error: OAuthErrorName
  readonly description: string

  constructor(error: OAuthErrorName, description: string, status = 400) {
    super(
      `AUTH_OAUTH_${error.toUpperCase()}` as `AUTH_OAUTH_${Uppercase<OAuthErrorName>}`,
      description || error,
      {
        status,
      },
    )
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

/** GoTrue's message for every 500: no internals leak. */
export const UNEXPECTED_FAILURE_MESSAGE = 'Unexpected failure, please check server logs for more information'

/**
 * Postgres refuses U+0000 in `text` (22021) and in `jsonb` (22P05). Auth never writes one itself,
 * so the character came from the caller: their input is invalid, not the server broken.
 */
const NUL_REFUSED = new Set(['22021', '22P05'])

/**
 * What `auth.api` throws for anything that went wrong: its own errors as they are; a NUL character
 * Postgres refused as 400 `validation_failed`; anything else (a database failure, a hook's
 * exception) as 500 `unexpected_failure` — each with the original error as `cause`.
 */
export function toAuthError(error: unknown): AuthError | OAuthError {
  if (error instanceof AuthError || error instanceof OAuthError) return error
  const sqlState = (error as { code?: unknown } | null)?.code
  if (typeof sqlState === 'string' && NUL_REFUSED.has(sqlState)) {
    return new AuthError('validation_failed', 'Input must not contain NUL characters', {
      status: 400,
      cause: error,
    })
  }
  return new AuthError('unexpected_failure', UNEXPECTED_FAILURE_MESSAGE, { status: 500, cause: error })
}
