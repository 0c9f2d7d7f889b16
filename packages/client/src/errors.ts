/**
 * Errors of Groundwork's own client modules (push, keys, realtime). The Supabase modules keep
 * their own (`PostgrestError`, `AuthError`, `StorageError`), as supabase-js users expect.
 */

/** Codes the client raises itself; anything else is the server's own `code` (`PUSH_NOT_FOUND`, `validation_failed`…). */
export type ClientErrorCode = 'CLIENT_INVALID_OPTIONS' | 'CLIENT_NETWORK_ERROR' | 'HTTP_ERROR'

/** A refused or failed call: the server's status and `code` (0 when nothing was answered). */
export class GroundworkClientError extends Error {
  override name = 'GroundworkClientError'
  constructor(
    /** The HTTP status; 0 when the request never got an answer or the call was refused locally. */
    readonly status: number,
    /** The server's error code (`PUSH_NOT_FOUND`, GoTrue's `error_code`…) or a {@link ClientErrorCode}. */
    readonly code: ClientErrorCode | (string & {}),
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** The `{ data, error }` pair every Groundwork module answers with, as the Supabase clients do. */
export type ClientResult<T> = { data: T; error: null } | { data: null; error: GroundworkClientError }

/**
 * Reads an error body in any of Groundwork's wire formats — `{ code, message }` (Groundwork
 * services, PostgREST), GoTrue's `{ error_code, msg }` — into a {@link GroundworkClientError}.
 */
export async function errorFromResponse(response: Response): Promise<GroundworkClientError> {
  let code = 'HTTP_ERROR'
  let message = `HTTP ${response.status}`
  try {
    const body = (await response.json()) as Record<string, unknown>
    const bodyCode = body.code ?? body.error_code ?? body.error
    if (typeof bodyCode === 'string') code = bodyCode
    const bodyMessage = body.message ?? body.msg ?? body.error_description
    if (typeof bodyMessage === 'string') message = bodyMessage
  } catch {
    // not JSON: keep the status line
  }
  return new GroundworkClientError(response.status, code, message)
}

/**
 * Performs one JSON call and folds every outcome into {@link ClientResult}: a 2xx body (or null
 * for 204), the server's refusal, or a network failure (`CLIENT_NETWORK_ERROR`).
 */
export async function callJson<T>(
  doFetch: typeof fetch,
  url: string,
  init: { method: string; body?: unknown; signal?: AbortSignal | undefined },
): Promise<ClientResult<T>> {
  let response: Response
  try {
    response = await doFetch(url, {
      method: init.method,
      headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      ...(init.signal ? { signal: init.signal } : {}),
    })
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause)
    return { data: null, error: new GroundworkClientError(0, 'CLIENT_NETWORK_ERROR', message, { cause }) }
  }
  if (!response.ok) return { data: null, error: await errorFromResponse(response) }
  if (response.status === 204) return { data: null as T, error: null }
  return { data: (await response.json()) as T, error: null }
}
