import { type Principal, rateLimitHeaders } from '@groundwork/core'
import { readBytes, readText, relativePath } from '@groundwork/core/kit'
import type { RestResult } from '../context'
import { authenticationError, type RestError, toRestError } from '../errors'
import type { ResolvedRestOptions } from '../options'
import { restCors } from './cors'
import { type PipelineDeps, runPipeline } from './pipeline'
import { ServerTiming } from './server-timing'

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
    // PostgREST names the error in `Proxy-Status` (RFC 9209) too, for proxies and logs.
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      // A code raised with `RAISE SQLSTATE 'PGRST'` is the user's text: only a token goes in a header.
      ...(/^[\w.-]{1,64}$/.test(error.code) ? { 'Proxy-Status': `PostgREST; error=${error.code}` } : {}),
      ...error.headers,
    },
    body: JSON.stringify(error.toJSON()),
  }
}

/** `Content-Type: application/octet-stream`: a raw body for a function's `bytea` parameter. */
function isOctetStream(headers: Headers): boolean {
  return (
    (headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() === 'application/octet-stream'
  )
}

/** Bytes as Postgres' `bytea` hex input (`\x…`), so a binary body travels as text. */
export function byteaHex(bytes: Uint8Array): string {
  let hex = '\\x'
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0')
  return hex
}

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
  const cors = restCors(options)
  const report = (request: Request) => options.onError && ((e: unknown) => options.onError?.(e, request))
  return async (request) => {
    const url = new URL(request.url, 'http://localhost')
    // Setting `pathname` re-serialises the URL: only when a base path was actually stripped.
    const path = relativePath(url.pathname, options.basePath)
    if (path !== url.pathname) url.pathname = path
    const method = request.method.toUpperCase()
    const preflight = cors.preflight(request)
    if (preflight) return preflight

    let result: RestResult
    let anonymous = true
    let principal: Principal | null = null
    const timing = options.serverTimingEnabled ? new ServerTiming() : undefined
    try {
      principal = await authenticate(request).catch((error: unknown) => {
        throw authenticationError(error, report(request))
      })
      timing?.lap('jwt')
      anonymous = isAnonymous(principal, options)
      const body =
        method === 'GET' || method === 'HEAD' || method === 'OPTIONS'
          ? ''
          : isOctetStream(request.headers)
            ? byteaHex(await readBytes(request, { maxBytes: options.maxBodyBytes }))
            : await readText(request, { maxBytes: options.maxBodyBytes })
      result = await runPipeline(
        deps,
        { method, url, headers: request.headers, body, signal: request.signal, timing },
        principal,
      )
    } catch (error) {
      result = errorResult(toRestError(deps.extensions.mapError(error), anonymous, report(request)))
    }
    const headers = new Headers({ ...rateLimitHeaders(principal), ...result.headers })
    for (const [key, value] of Object.entries(cors.headers(request))) headers.set(key, value)
    if (timing) {
      timing.lap('response')
      headers.set('Server-Timing', timing.header())
    }
    return new Response(method === 'HEAD' ? null : (result.body as BodyInit | null), {
      status: result.status,
      headers,
    })
  }
}
