/**
 * CORS as GoTrue answers it (any origin by default, echoed so credentials work): preflights get
 * 204 with the requested headers allowed; responses expose the headers auth-js reads.
 *
 * @see https://fetch.spec.whatwg.org/#http-cors-protocol
 */
export function createCors(setting: boolean | string[]) {
  const allowed = (origin: string | null): origin is string =>
    origin !== null && (setting === true || (Array.isArray(setting) && setting.includes(origin)))

  return {
    /** The answer to a preflight, or null when the request is not one (or CORS is off). */
    preflight(request: Request): Response | null {
      if (request.method !== 'OPTIONS') return null
      const origin = request.headers.get('origin')
      const headers = new Headers({ vary: 'Origin, Access-Control-Request-Headers' })
      if (setting !== false && allowed(origin) && request.headers.has('access-control-request-method')) {
        headers.set('access-control-allow-origin', origin)
        headers.set('access-control-allow-credentials', 'true')
        headers.set('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS')
        headers.set(
          'access-control-allow-headers',
          request.headers.get('access-control-request-headers') ??
            'authorization, apikey, content-type, x-client-info, x-supabase-api-version',
        )
        headers.set('access-control-max-age', '86400')
      }
      return new Response(null, { status: 204, headers })
    },
    /** Adds the CORS headers of a simple/actual request to `response`. */
    decorate(request: Request, response: Response): Response {
      const origin = request.headers.get('origin')
      if (setting === false || !allowed(origin)) return response
      try {
        response.headers.set('access-control-allow-origin', origin)
        response.headers.set('access-control-allow-credentials', 'true')
        response.headers.append('vary', 'Origin')
        response.headers.set(
          'access-control-expose-headers',
          'X-Total-Count, Link, X-Supabase-Api-Version, x-sb-error-code, Retry-After',
        )
        return response
      } catch {
        // Immutable headers (a Response.redirect()): copy into a new response.
        const copy = new Response(response.body, response)
        return this.decorate(request, copy)
      }
    },
  }
}
