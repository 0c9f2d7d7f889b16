/**
 * One CORS implementation for every Groundwork handler. Callers authenticate with bearer tokens
 * and API keys in headers, never with cookies, so answering any origin is safe by default.
 *
 * @see https://fetch.spec.whatwg.org/#http-cors-protocol
 */
export interface CorsPolicy {
  /** `true`: any origin; `false`: no CORS headers at all; a list: only those origins. */
  origins: boolean | readonly string[]
  /**
   * For any origin: `wildcard` answers `Access-Control-Allow-Origin: *` (PostgREST), `echo` echoes
   * the origin with `Allow-Credentials` (GoTrue). A configured list always echoes with credentials.
   */
  anyOrigin: 'wildcard' | 'echo'
  /** Methods a preflight allows. */
  allowMethods: string
  /** Headers a preflight allows when it names none. */
  allowHeaders: string
  /** Response headers browsers may read. */
  exposeHeaders: string
  /** Status of a preflight answer. @default 204 */
  preflightStatus?: 200 | 204
}

/** CORS for a handler: `preflight(request)` answers OPTIONS preflights, `decorate` adds headers. */
export interface Cors {
  /** The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`), else null. */
  preflight(request: Request): Response | null
  /** The CORS headers of an actual request (empty when CORS is off or the origin is not allowed). */
  headers(request: Request): Record<string, string>
  /** `response` with {@link Cors.headers} added (copied when its headers are immutable). */
  decorate(request: Request, response: Response): Response
}

/** Creates the {@link Cors} of a policy. */
export function createCors(policy: CorsPolicy): Cors {
  const { origins } = policy
  const allowed = (origin: string | null): origin is string =>
    origin !== null && (origins === true || (Array.isArray(origins) && origins.includes(origin)))

  function base(origin: string): Record<string, string> {
    return origins === true && policy.anyOrigin === 'wildcard'
      ? { 'Access-Control-Allow-Origin': '*' }
      : { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' }
  }

  const cors: Cors = {
    preflight(request) {
      if (request.method !== 'OPTIONS' || !request.headers.has('access-control-request-method')) return null
      const origin = request.headers.get('origin')
      const headers: Record<string, string> = { Vary: 'Origin, Access-Control-Request-Headers' }
      if (allowed(origin)) {
        Object.assign(headers, base(origin), {
          Vary: 'Origin, Access-Control-Request-Headers',
          'Access-Control-Allow-Methods': policy.allowMethods,
          'Access-Control-Allow-Headers':
            request.headers.get('access-control-request-headers')?.trim() || policy.allowHeaders,
          'Access-Control-Max-Age': '86400',
        })
      }
      return new Response(null, { status: policy.preflightStatus ?? 204, headers })
    },
    headers(request) {
      const origin = request.headers.get('origin')
      if (!allowed(origin)) return {}
      return { ...base(origin), 'Access-Control-Expose-Headers': policy.exposeHeaders }
    },
    decorate(request, response) {
      const headers = cors.headers(request)
      if (Object.keys(headers).length === 0) return response
      try {
        for (const [name, value] of Object.entries(headers)) {
          if (name === 'Vary') response.headers.append(name, value)
          else response.headers.set(name, value)
        }
        return response
      } catch {
        // Immutable headers (Response.redirect(), fetch responses): decorate a copy.
        return cors.decorate(request, new Response(response.body, response))
      }
    },
  }
  return cors
}
