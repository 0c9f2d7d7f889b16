import { type GroundworkError, type OnError, toGroundworkError } from '../errors'
import { isUnmatched, markUnmatched } from './unmatched'

/**
 * A wire protocol's way of answering an error: PostgREST's `{ code, details, hint, message }`,
 * GoTrue's `{ code, message }`, OAuth's `{ error, error_description }`, Supabase Storage's
 * `{ statusCode, error, message }`, or Groundwork's own `{ code, message }`. Formats map the HTTP
 * kit's codes (`HTTP_PAYLOAD_TOO_LARGE`, …) onto their protocol's vocabulary.
 */
export interface ErrorFormat {
  render(error: GroundworkError): Response
}

/** A JSON response. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: body === undefined ? headers : { 'content-type': 'application/json; charset=utf-8', ...headers },
  })
}

/**
 * Groundwork's own error body (admin APIs of jobs, mail, realtime): `{ code, message, details?,
 * hint? }` with the error's status and headers; 401 adds `WWW-Authenticate: Bearer`.
 */
export const groundworkErrorFormat: ErrorFormat = {
  render(error) {
    const body: Record<string, unknown> = { code: error.code, message: error.message }
    if (error.details !== undefined) body.details = error.details
    if (error.hint !== undefined) body.hint = error.hint
    const headers: Record<string, string> = { ...error.headers }
    if (error.status === 401 && !('WWW-Authenticate' in headers)) headers['WWW-Authenticate'] = 'Bearer'
    return json(body, error.status, headers)
  },
}

/**
 * Renders anything thrown in `format`: a `GroundworkError` as itself, anything else as the
 * generic 500 (reported to `onError` first), so no internal message or stack reaches a client.
 */
export function errorResponse(
  error: unknown,
  format: ErrorFormat,
  onError?: OnError,
  request?: Request,
): Response {
  const response = format.render(toGroundworkError(error, onError, request))
  return isUnmatched(error) ? markUnmatched(response) : response
}
