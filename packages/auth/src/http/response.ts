import { json as kitJson } from '@groundwork/core/kit'

/** A JSON answer with `Cache-Control: no-store`: tokens must not be cached (RFC 6749 §5.1). */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return kitJson(body, status, { 'cache-control': 'no-store', ...headers })
}

/** A redirect; GoTrue answers `GET /verify` with `303 See Other`. */
export function redirect(location: string): Response {
  return new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store' } })
}
