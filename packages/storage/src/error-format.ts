import type { GroundworkError } from '@groundwork/core'
import { type ErrorFormat, type HttpErrorCode, json } from '@groundwork/core/kit'
import { STORAGE_ERRORS } from './errors'

interface WireError {
  status: number
  code: string
  error: string
  message?: string
}

/** The HTTP kit's errors in Storage's vocabulary. */
const KIT: Record<HttpErrorCode, WireError> = {
  HTTP_NOT_FOUND: { status: 404, code: 'NotFound', error: 'Not Found' },
  HTTP_METHOD_NOT_ALLOWED: { status: 405, code: 'MethodNotAllowed', error: 'Method Not Allowed' },
  HTTP_BAD_PATH: { status: 400, code: 'InvalidKey', error: 'InvalidKey' },
  HTTP_PAYLOAD_TOO_LARGE: {
    status: 413,
    code: 'EntityTooLarge',
    error: 'Payload too large',
    message: 'The object exceeded the maximum allowed size',
  },
  HTTP_BAD_JSON: { status: 400, code: 'InvalidRequest', error: 'Bad Request' },
  HTTP_JSON_TOO_DEEP: { status: 400, code: 'InvalidRequest', error: 'Bad Request' },
  HTTP_INVALID_UTF8: { status: 400, code: 'InvalidRequest', error: 'Bad Request' },
  HTTP_INVALID_BODY: { status: 400, code: 'InvalidRequest', error: 'Bad Request' },
  HTTP_UNSUPPORTED_MEDIA_TYPE: { status: 415, code: 'InvalidMimeType', error: 'invalid_mime_type' },
  HTTP_HEADER_TOO_LARGE: { status: 431, code: 'InvalidRequest', error: 'Bad Request' },
}

/** Core's errors (authentication, scopes) in Storage's vocabulary. */
const CORE: Record<string, WireError> = {
  CORE_JWT_INVALID: { status: 400, code: 'InvalidJWT', error: 'InvalidJWT' },
  CORE_JWT_EXPIRED: { status: 400, code: 'InvalidJWT', error: 'InvalidJWT' },
  CORE_JWT_CLAIM_INVALID: { status: 400, code: 'InvalidJWT', error: 'InvalidJWT' },
  CORE_JWT_MALFORMED_HEADER: { status: 400, code: 'InvalidJWT', error: 'InvalidJWT' },
  CORE_CREDENTIALS_REVOKED: { status: 400, code: 'InvalidJWT', error: 'InvalidJWT' },
  CORE_ROLE_NOT_ALLOWED: { status: 403, code: 'AccessDenied', error: 'Unauthorized' },
  CORE_SCOPE_DENIED: { status: 403, code: 'AccessDenied', error: 'Unauthorized' },
  CORE_TABLE_DENIED: { status: 403, code: 'AccessDenied', error: 'Unauthorized' },
}

const INTERNAL: WireError = {
  status: 500,
  code: 'InternalError',
  error: 'internal',
  message: 'Internal server error',
}

function wireOf(error: GroundworkError): WireError {
  const own = (STORAGE_ERRORS as Record<string, WireError>)[error.code]
  if (own) return own.status >= 500 ? { ...own, message: INTERNAL.message as string } : own
  const kit = (KIT as Record<string, WireError>)[error.code]
  if (kit) return kit
  const core = CORE[error.code]
  if (core) return core
  // Another GroundworkError with a client status (a 401 from an authenticator, a 429): keep its
  // status and message; a 5xx says nothing.
  if (error.status < 500) return { status: error.status, code: 'InvalidRequest', error: 'InvalidRequest' }
  return INTERNAL
}

/**
 * Supabase Storage's error body: `{ statusCode, code, error, message }` — `statusCode` a string,
 * `code` the error name storage-js exposes as `error.code` (`NoSuchKey`, `InvalidJWT`,
 * `EntityTooLarge`, …), `error` the legacy short text.
 *
 * One deliberate difference: Supabase answers HTTP 400 for every client error and puts the real
 * status in `statusCode` only (a legacy choice its maintainers call not semantically correct,
 * supabase/storage#323). Here the HTTP status is the one `statusCode` names — so a `HEAD` of a
 * missing object is a 404, which a body-less answer needs. storage-js reads the body either way.
 *
 * @see https://github.com/supabase/storage/blob/master/src/http/error-handler.ts
 */
export const storageErrorFormat: ErrorFormat = {
  render(error) {
    const wire = wireOf(error)
    const message = wire.message ?? error.message
    const headers: Record<string, string> = { ...error.headers }
    if (wire.status === 404) headers['cache-control'] = 'no-store'
    return json(
      { statusCode: String(wire.status), code: wire.code, error: wire.error, message },
      wire.status,
      headers,
    )
  },
}
