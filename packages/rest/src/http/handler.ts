import { type Principal, rateLimitHeaders } from '@groundwork/core'
import { boundedHeader, readText, relativePath } from '@groundwork/core/kit'
import type { RestResult } from '../context'
import { authenticationError, type RestError, toRestError } from '../errors'
import type { ResolvedRestOptions } from '../options'
import { corsHeaders } from './cors'
import { type PipelineDeps, runPipeline } from './pipeline'

/** The principal for callers without credentials when no `authenticate` is configured. */
export function anonymousPrincipal(role: string): Principal {
  return { kind: 'anonymous', role, claims: { role } }
}

/**
 * Whether a caller counts as anonymous for PostgREST's 401-vs-403 rule (`42501` is 401 with
 * `WWW-Authenticate` for anonymous callers, 403 otherwise): no credentials, or a token whose role
 * is the anon role (what supabase-js sends as its anon key). The handler and `api.query` both
 * decide with this, so one refusal has one status whichever way it is called.
 */
export function isAnonymous(principal: Principal, options: ResolvedRestOptions): boolean {
  return principal.kind === 'anonymous' || principal.role === (options.anonRole ?? options.db.roles.anon)
}

/** Renders a {@link RestError} as PostgREST's JSON error response. */
export function errorResult(error: RestError): RestResult {
  return {
    status: error.status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...error.headers },
    body: JSON.stringify(error.toJSON()),
  }
}

/** Request headers PostgREST parses, each bounded before any parser sees it. */
const PARSED_HEADERS = ['prefer', 'range', 'accept', 'accept-profile', 'content-profile', 'content-type']

/**
 * The Web-standard handler: `(Request) => Promise<Response>`, mount-agnostic (paths relative to
 * where it is mounted; `basePath` is stripped at a segment boundary). The body is read with the
 * `maxBodyBytes` limit while streaming, before any connection is taken.
 */
export function createHandler(
  deps: PipelineDeps,
  authenticate: (request: Request) => Promise<Principal>,
): (request: Request) => Promise<Response> {
  const options: ResolvedRestOptions = deps.options
  const report = (request: Request) => options.onError && ((e: unknown) => options.onError?.(e, request))
  return async (request) => {
    const url = new URL(request.url, 'http://localhost')
    url.pathname = relativePath(url.pathname, options.basePath)
    const method = request.method.toUpperCase()
    const origin = request.headers.get('origin')
    const preflight =
      method === 'OPTIONS' && origin !== null && request.headers.has('access-control-request-method')
    const cors = corsHeaders(
      options,
      origin,
      preflight,
      request.headers.get('access-control-request-headers'),
    )
    if (preflight) return new Response(null, { status: 200, headers: cors ?? {} })

    let result: RestResult
    let anonymous = true
    let principal: Principal | null = null
    try {
      for (const name of PARSED_HEADERS) boundedHeader(request.headers, name)
      principal = await authenticate(request).catch((error: unknown) => {
        throw authenticationError(error, report(request))
      })
      anonymous = isAnonymous(principal, options)
      const body =
        method === 'GET' || method === 'HEAD' || method === 'OPTIONS'
          ? ''
          : await readText(request, { maxBytes: options.maxBodyBytes })
      result = await runPipeline(
        deps,
        { method, url, headers: request.headers, body, signal: request.signal },
        principal,
      )
    } catch (error) {
      result = errorResult(toRestError(error, anonymous, report(request)))
    }
    const headers = new Headers({ ...rateLimitHeaders(principal), ...result.headers })
    if (cors) for (const [key, value] of Object.entries(cors)) headers.set(key, value)
    return new Response(method === 'HEAD' ? null : result.body, { status: result.status, headers })
  }
}
