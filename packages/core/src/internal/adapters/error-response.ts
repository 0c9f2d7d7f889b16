import { type OnError, toGroundworkError } from '../../errors'

/**
 * The response for an error that escaped a handler. A `GroundworkError` keeps its status, code,
 * message, `details` and `hint` (safe by contract); anything else becomes a generic 500
 * `{ code: 'INTERNAL_ERROR', message: 'Internal server error' }` and goes to `onError`, so no
 * stack, SQL or internal message reaches the client.
 */
export function errorResponse(error: unknown, onError: OnError | undefined, request?: Request): Response {
  const known = toGroundworkError(error, safe(onError), request)
  const body: Record<string, unknown> = { code: known.code, message: known.message }
  if (known.details !== undefined) body.details = known.details
  if (known.hint !== undefined) body.hint = known.hint
  return Response.json(body, { status: known.status })
}

/** `onError` that cannot itself break the response (a throwing logger must not leak either). */
export function safe(onError: OnError | undefined): OnError | undefined {
  if (onError === undefined) return undefined
  return (error, request) => {
    try {
      onError(error, request)
    } catch {
      // The hook failed; the client still gets the generic response.
    }
  }
}

/** True when `error` is only the consequence of the client going away (nothing to report). */
export function isAbortFallout(request: Request | undefined, error: unknown): boolean {
  if (request?.signal.aborted !== true) return false
  return error === request.signal.reason || (error instanceof Error && error.name === 'AbortError')
}
