import type { Principal } from '@groundwork/core'
import type { RestResult } from '../context'
import { authenticationError, type RestError, toRestError } from '../errors'
import type { ResolvedRestOptions } from '../options'
import { corsHeaders } from './cors'
import { type PipelineDeps, runPipeline } from './pipeline'

/** The principal for callers without credentials when no `authenticate` is configured. */
export function anonymousPrincipal(role: string): Principal {
  return { kind: 'anonymous', role, claims: { role } }
}

/** Renders a {@link RestError} as PostgREST's JSON error response. */
export function errorResult(error: RestError): RestResult {
  return {
    status: error.status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...error.headers },
    body: JSON.stringify(error.toJSON()),
  }
}

/**
 * The Web-standard handler: `(Request) => Promise<Response>`, mount-agnostic (paths relative to
 * where it is mounted; `basePath` is stripped when present).
 */
export function createHandler(
  deps: PipelineDeps,
  authenticate: (request: Request) => Promise<Principal>,
): (request: Request) => Promise<Response> {
  const options: ResolvedRestOptions = deps.options
  return async (request) => {
    const url = new URL(request.url, 'http://localhost')
    if (
      options.basePath &&
      (url.pathname === options.basePath || url.pathname.startsWith(`${options.basePath}/`))
    ) {
      url.pathname = url.pathname.slice(options.basePath.length) || '/'
    }
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
    try {
      const report = options.onError && ((e: unknown) => options.onError?.(e, request))
      const principal = await authenticate(request).catch((error: unknown) => {
        throw authenticationError(error, report)
      })
      anonymous =
        principal.kind === 'anonymous' || principal.role === (options.anonRole ?? options.db.roles.anon)
      const body = method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? '' : await request.text()
      result = await runPipeline(deps, { method, url, headers: request.headers, body }, principal)
    } catch (error) {
      result = errorResult(
        toRestError(error, anonymous, options.onError && ((e) => options.onError?.(e, request))),
      )
    }
    const headers = new Headers(result.headers)
    if (cors) for (const [key, value] of Object.entries(cors)) headers.set(key, value)
    return new Response(method === 'HEAD' ? null : result.body, { status: result.status, headers })
  }
}
