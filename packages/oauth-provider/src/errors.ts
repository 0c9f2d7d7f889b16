import { GroundworkError, isGroundworkError } from '@groundwork/core'
import { type ErrorFormat, isHttpError, json } from '@groundwork/core/kit'

/**
 * The provider's error codes, each an RFC error name with its status (one table, {@link ERRORS}).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (token endpoint)
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1 (authorization endpoint)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1 (bearer tokens)
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3.2.2 (registration)
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2 (`invalid_target`)
 */
export const ERRORS = {
  OAUTH_INVALID_REQUEST: { error: 'invalid_request', status: 400 },
  OAUTH_INVALID_CLIENT: { error: 'invalid_client', status: 401 },
  OAUTH_INVALID_GRANT: { error: 'invalid_grant', status: 400 },
  OAUTH_UNAUTHORIZED_CLIENT: { error: 'unauthorized_client', status: 400 },
  OAUTH_UNSUPPORTED_GRANT_TYPE: { error: 'unsupported_grant_type', status: 400 },
  OAUTH_UNSUPPORTED_RESPONSE_TYPE: { error: 'unsupported_response_type', status: 400 },
  OAUTH_UNSUPPORTED_TOKEN_TYPE: { error: 'unsupported_token_type', status: 400 },
  OAUTH_INVALID_SCOPE: { error: 'invalid_scope', status: 400 },
  OAUTH_INVALID_TARGET: { error: 'invalid_target', status: 400 },
  OAUTH_ACCESS_DENIED: { error: 'access_denied', status: 403 },
  OAUTH_LOGIN_REQUIRED: { error: 'login_required', status: 400 },
  OAUTH_INVALID_TOKEN: { error: 'invalid_token', status: 401 },
  OAUTH_INSUFFICIENT_SCOPE: { error: 'insufficient_scope', status: 403 },
  OAUTH_INVALID_REDIRECT_URI: { error: 'invalid_redirect_uri', status: 400 },
  OAUTH_INVALID_CLIENT_METADATA: { error: 'invalid_client_metadata', status: 400 },
  OAUTH_NOT_FOUND: { error: 'not_found', status: 404 },
  OAUTH_RATE_LIMITED: { error: 'slow_down', status: 429 },
  OAUTH_REGISTRATION_DISABLED: { error: 'access_denied', status: 403 },
  OAUTH_FORBIDDEN: { error: 'access_denied', status: 403 },
  OAUTH_SERVER_ERROR: { error: 'server_error', status: 500 },
} as const

/** A code of {@link ERRORS}; a `switch` on `error.code` narrows. */
export type OAuthProviderErrorCode = keyof typeof ERRORS

/** An error of the OAuth provider, rendered as RFC 6749 §5.2 JSON (`{ error, error_description }`). */
export class OAuthProviderError extends GroundworkError<OAuthProviderErrorCode> {
  override readonly name = 'OAuthProviderError'
  /** The RFC error name (`invalid_grant`, …). */
  readonly error: string

  constructor(
    code: OAuthProviderErrorCode,
    description: string,
    options: { headers?: Record<string, string>; cause?: unknown; status?: number } = {},
  ) {
    super(code, description, { ...options, status: options.status ?? ERRORS[code].status })
    this.error = ERRORS[code].error
  }
}

/** Shorthand for `new OAuthProviderError(code, description)`. */
export function oauthError(code: OAuthProviderErrorCode, description: string): OAuthProviderError {
  return new OAuthProviderError(code, description)
}

/** The `error` name of any Groundwork error: the provider's own, the HTTP kit's, auth's. */
function errorName(error: GroundworkError): string {
  if (error instanceof OAuthProviderError) return error.error
  if (isHttpError(error)) return error.code === 'HTTP_NOT_FOUND' ? 'not_found' : 'invalid_request'
  if (error.status === 401) return 'invalid_token'
  if (error.status === 403) return 'access_denied'
  if (error.status === 404) return 'not_found'
  if (error.status === 429) return 'slow_down'
  if (error.status >= 500) return 'server_error'
  return 'invalid_request'
}

/**
 * RFC 6749 §5.2 error JSON for every answer of the provider, with `Cache-Control: no-store`
 * (§5.1). Errors of the HTTP kit (413, 415, bad JSON…) and of auth map onto RFC names; a 500 says
 * `server_error` and nothing else.
 */
export const oauthErrorFormat: ErrorFormat = {
  render(error) {
    const status = Math.min(error.status, 500)
    const body = {
      error: errorName(error),
      error_description: status === 500 ? 'Internal server error' : error.message,
    }
    return json(body, status, { 'cache-control': 'no-store', pragma: 'no-cache', ...error.headers })
  },
}

/** Maps an auth error met while serving a request to the provider's vocabulary (keeps the message). */
export function fromAuthError(error: unknown, code: OAuthProviderErrorCode): unknown {
  if (!isGroundworkError(error) || error instanceof OAuthProviderError || error.status >= 500) return error
  return new OAuthProviderError(code, error.message, { cause: error })
}
