import { clientAddress } from '@groundwork/core'
import { AuthError, OAuthError } from './errors'

/** GoTrue's API version header; sent by auth-js ≥ 2.49 (`2024-01-01`). */
export const API_VERSION_HEADER = 'X-Supabase-Api-Version'
/** The first dated version: error bodies become `{ code, message }` from this one on. */
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

/** A JSON response (`Cache-Control: no-store`, as tokens must not be cached, RFC 6749 §5.1). */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  })
}

/** A redirect; GoTrue answers `/verify` with `303 See Other`. */
export function redirect(location: string, status = 303): Response {
  return new Response(null, { status, headers: { location, 'cache-control': 'no-store' } })
}

/**
 * Renders an error as GoTrue does: `{ code, message }` for API version ≥ 2024-01-01 (and the
 * version echoed), else `{ code: <status>, error_code, msg }`; `x-sb-error-code` carries the code.
 * OAuth errors are `{ error, error_description }` with status 400.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/errors.go
 */
export function renderError(error: AuthError | OAuthError, apiVersion: string | null): Response {
  const headers: Record<string, string> = {}
  if (apiVersion) headers[API_VERSION_HEADER] = apiVersion
  if (error instanceof OAuthError) {
    const body: Record<string, string> = { error: error.error }
    if (error.description) body.error_description = error.description
    return json(body, error.status, headers)
  }
  Object.assign(headers, error.headers ?? {})
  headers['x-sb-error-code'] = error.errorCode
  const body = apiVersion
    ? { code: error.errorCode, message: error.message, ...error.extra }
    : { code: error.status, error_code: error.errorCode, msg: error.message, ...error.extra }
  return json(body, error.status, headers)
}

/** The 500 every unknown error becomes: no internals leak. */
export function unexpectedFailure(): AuthError {
  return new AuthError(
    'unexpected_failure',
    'Unexpected failure, please check server logs for more information',
    {
      status: 500,
    },
  )
}

/**
 * Reads the request body as GoTrue does: JSON (or `application/x-www-form-urlencoded`), `{}` when
 * empty; malformed JSON is a 400 `bad_json`.
 */
export async function readBody(request: Request): Promise<Record<string, unknown>> {
  if (request.method === 'GET' || request.method === 'HEAD') return {}
  const text = await request.text()
  if (text.trim() === '') return {}
  const type = request.headers.get('content-type') ?? ''
  if (type.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text))
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    throw new AuthError('bad_json', `Could not parse request body as JSON: ${(cause as Error).message}`, {
      status: 400,
    })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AuthError('bad_json', 'Request body must be a JSON object', { status: 400 })
  }
  return parsed as Record<string, unknown>
}

/**
 * The client address for rate limits and the audit log: what the adapter recorded
 * (`clientAddress` from `@groundwork/core`: Express's `req.ip`, Fastify's `request.ip`, the
 * socket address, or the first `X-Forwarded-For` hop with `toNodeHandler(h, { trustProxy: true })`),
 * else `''` (per-IP limits are then skipped; per-email limits still apply). A client-sent
 * `X-Forwarded-For` is never trusted on its own: anyone could rotate it to dodge the limits.
 * Set the `clientIp` option where the platform supplies the address another way (Next.js on Vercel).
 */
export function defaultClientIp(request: Request): string {
  return clientAddress(request) ?? ''
}
