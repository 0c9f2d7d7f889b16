import { type RateLimitState, rateLimitHeaders } from '@groundwork/core'
import { createRouter, errorResponse, relativePath } from '@groundwork/core/kit'
import type { AuthApi } from '../api/index'
import { AuthError } from '../errors'
import type { KeyVerifier } from '../keys/verifier'
import type { ResolvedAuthOptions } from '../options'
import type { RedirectPolicy } from '../redirect'
import { authCors } from './cors'
import { API_VERSION_HEADER, gotrueErrorFormat, requestApiVersion } from './error-format'
import { bearerToken, defaultClientIp, goTrueRequest, readBody } from './request'
import type { HttpDeps } from './route'
import { ROUTES } from './routes'

/**
 * The Web-standard handler of the GoTrue API: CORS, routing (the kit's router: 404, 405 with
 * `Allow`), the body read once within `maxBodyBytes`/`maxJsonDepth`, the API keys the request
 * presents (each must be valid — checked by a direct query — and spends its budget: 401
 * `invalid_api_key`, 429 `over_request_rate_limit`, `RateLimit-*` headers on the answer), the
 * route (which calls `auth.api`), and errors in GoTrue's format for the request's API version. An
 * `AuthError` of status 500 (an unexpected failure `api` wrapped) and anything unknown go to
 * `onError` first.
 */
export function createHandler(deps: {
  api: AuthApi
  options: ResolvedAuthOptions
  redirects: RedirectPolicy
  externalUrl: string
  verifyServiceRole: HttpDeps['verifyServiceRole']
  keys: KeyVerifier
}): (request: Request) => Promise<Response> {
  const { options, redirects } = deps
  const { basePath, onError } = options
  const router = createRouter(ROUTES)
  const cors = authCors(options.cors)
  const clientIp = options.clientIp ?? defaultClientIp
  const limits = { maxBytes: options.maxBodyBytes, maxJsonDepth: options.maxJsonDepth }
  const routeDeps: HttpDeps = {
    api: deps.api,
    externalUrl: deps.externalUrl,
    verifyServiceRole: deps.verifyServiceRole,
    serviceRole: options.db.roles.service,
  }

  async function respond(request: Request): Promise<Response> {
    // GoTrue answers every OPTIONS as a preflight (rs/cors), 204 whether or not CORS applies.
    if (request.method === 'OPTIONS') {
      return cors.preflight(request) ?? new Response(null, { status: 204, headers: { Vary: 'Origin' } })
    }
    const apiVersion = requestApiVersion(request)
    let budget: RateLimitState | undefined
    let response: Response
    try {
      const url = new URL(request.url)
      const { route, params } = router.match(request.method, relativePath(url.pathname, basePath))
      // The body first: an answer sent while a body still uploads resets the client's connection.
      const body = await readBody(request, limits)
      const keys = await deps.keys.forAuthRequest(request, bearerToken(request))
      budget = keys.rateLimit
      const ip = clientIp(request)
      response = await route.handler(
        goTrueRequest({ request, url, params, body, ip, redirects, apiKey: keys.principal }),
        routeDeps,
      )
      if (apiVersion && !response.headers.has(API_VERSION_HEADER))
        response.headers.set(API_VERSION_HEADER, apiVersion)
      if (request.method === 'HEAD') response = new Response(null, response)
    } catch (error) {
      if (error instanceof AuthError && error.status >= 500) onError?.(error.cause ?? error, request)
      response = errorResponse(error, gotrueErrorFormat(apiVersion), onError, request)
    }
    if (budget) {
      // The budget the request's key(s) spent, on success and on errors alike.
      const headers = rateLimitHeaders({ kind: 'api-key', role: '', claims: {}, rateLimit: budget })
      for (const [name, value] of Object.entries(headers)) response.headers.set(name, value)
    }
    return response
  }

  return async (request) => cors.decorate(request, await respond(request))
}
