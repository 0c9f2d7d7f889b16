import type { GroundworkError } from '@groundwork/core'
import { type ErrorFormat, type HttpErrorCode, isHttpError } from '@groundwork/core/kit'
import { AuthError, type GoTrueErrorCode, OAuthError, UNEXPECTED_FAILURE_MESSAGE } from '../errors'
import { json } from './response'

/** GoTrue's API version header; sent by auth-js ≥ 2.49 (`2024-01-01`). */
export const API_VERSION_HEADER = 'X-Supabase-Api-Version'
/** The first dated version: error bodies are `{ code, message }` from this one on. */
export const API_VERSION_2024_01_01 = '2024-01-01'

/**
 * The API version a request asks for: the header's date when it is a valid `YYYY-MM-DD` at or
 * after 2024-01-01, else `null` (GoTrue's "initial" version: legacy error bodies).
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/apiversions.go
 */
export function requestApiVersion(request: Request): string | null {
  const value = request.headers.get(API_VERSION_HEADER)?.trim()
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) return null
  return value >= API_VERSION_2024_01_01 ? API_VERSION_2024_01_01 : null
}

/**
 * The GoTrue code of each error the HTTP kit raises before auth's own code runs. GoTrue has no
 * code for an oversized body: 413 `validation_failed` says what it is (the request is invalid)
 * in a code every GoTrue client already handles.
 */
const KIT_CODES: Record<HttpErrorCode, GoTrueErrorCode> = {
  HTTP_NOT_FOUND: 'unknown',
  HTTP_METHOD_NOT_ALLOWED: 'validation_failed',
  HTTP_BAD_PATH: 'validation_failed',
  HTTP_PAYLOAD_TOO_LARGE: 'validation_failed',
  HTTP_BAD_JSON: 'bad_json',
  HTTP_JSON_TOO_DEEP: 'bad_json',
  HTTP_INVALID_UTF8: 'bad_json',
  HTTP_INVALID_BODY: 'validation_failed',
  HTTP_UNSUPPORTED_MEDIA_TYPE: 'validation_failed',
  HTTP_HEADER_TOO_LARGE: 'validation_failed',
}

/** The kit's error as GoTrue words it (404 `Not Found`, 405 `Method not allowed`, `bad_json`'s prefix). */
function fromKit(error: GroundworkError & { code: HttpErrorCode }): AuthError {
  const code = KIT_CODES[error.code]
  const message =
    error.code === 'HTTP_NOT_FOUND'
      ? 'Not Found'
      : error.code === 'HTTP_METHOD_NOT_ALLOWED'
        ? 'Method not allowed'
        : code === 'bad_json'
          ? `Could not parse request body as JSON: ${error.cause instanceof SyntaxError ? error.cause.message : error.message}`
          : error.message
  return new AuthError(code, message, {
    status: error.status,
    cause: error,
    ...(error.headers ? { headers: error.headers } : {}),
  })
}

/**
 * GoTrue's error format for a request of `apiVersion`: `{ code, message }` from 2024-01-01 on (the
 * version echoed), else the legacy `{ code: <status>, error_code, msg }`; `x-sb-error-code`
 * carries the code either way. OAuth errors are `{ error, error_description }`. The kit's errors
 * get GoTrue codes; any other error is the opaque 500 `unexpected_failure`.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/errors.go
 */
export function gotrueErrorFormat(apiVersion: string | null): ErrorFormat {
  return {
    render(error: GroundworkError): Response {
      const headers: Record<string, string> = apiVersion ? { [API_VERSION_HEADER]: apiVersion } : {}
      if (error instanceof OAuthError) {
        const body: Record<string, string> = { error: error.error }
        if (error.description) body.error_description = error.description
        return json(body, error.status, headers)
      }
      const auth =
        error instanceof AuthError
          ? error
          : isHttpError(error)
            ? fromKit(error)
            : new AuthError('unexpected_failure', UNEXPECTED_FAILURE_MESSAGE, { status: 500, cause: error })
      Object.assign(headers, auth.headers)
      headers['x-sb-error-code'] = auth.errorCode
      const body = apiVersion
        ? { code: auth.errorCode, message: auth.message, ...auth.extra }
        : { code: auth.status, error_code: auth.errorCode, msg: auth.message, ...auth.extra }
      return json(body, auth.status, headers)
    },
  }
}
