import { canAdminister, type Principal } from '@groundwork/core'
import { HttpError, type RouteDefinition } from '@groundwork/core/kit'
import type { AuditActor } from '../api/context'
import type { AuthApi } from '../api/index'
import { AuthError } from '../errors'
import type { AccessTokenClaims } from '../sessions/jwt'
import type { GoTrueRequest } from './request'

/** What routes call: the api, and the service-role check of admin routes. */
export interface HttpDeps {
  readonly api: AuthApi
  /** GoTrue's `requireAdmin` on the bearer token (401 without one, 403 `not_admin` for other roles). */
  verifyServiceRole(accessToken: string): Promise<AccessTokenClaims>
  /** The public URL of the handler, for pagination links. */
  readonly externalUrl: string
  /** The service role's name (`db.roles.service`), for core's `canAdminister`. */
  readonly serviceRole: string
}

/**
 * A route: reads what it needs from the request, calls `api`, renders the answer. Body fields go
 * to `api` as they came (`body.email as string`): the api checks their types at runtime, as it
 * must for in-process JS callers anyway, with GoTrue's messages.
 */
export type RouteHandler = (req: GoTrueRequest, deps: HttpDeps) => Promise<Response>

/** One entry of the route table. */
export type Route = RouteDefinition<RouteHandler>

/** The audit actor of an admin request: the service key's subject when it has one. */
function adminActor(claims: AccessTokenClaims): AuditActor | null {
  if (typeof claims.sub !== 'string' || claims.sub === '') return null
  return { id: claims.sub, email: typeof claims.email === 'string' ? claims.email : null, phone: null }
}

/** The audit actor of an admin request made with an API key: an app key's user, else nobody. */
function keyActor(principal: Principal): AuditActor | null {
  const sub = principal.claims.sub
  return typeof sub === 'string' && sub !== '' ? { id: sub, email: null, phone: null } : null
}

/**
 * An admin route: the caller must be the service role or an `admin`-scoped API key (core's
 * `canAdminister`, the one rule of every package's admin endpoints); `api.admin` itself trusts its
 * caller. A JWT is checked as GoTrue's `requireAdmin` does (`service_role` or `supabase_admin`).
 */
export function adminOnly(handler: RouteHandler): RouteHandler {
  return async (req, deps) => {
    if (req.apiKey) {
      if (!canAdminister(req.apiKey, deps.serviceRole)) {
        throw new AuthError('not_admin', 'User not allowed', { status: 403 })
      }
      return handler({ ...req, ctx: { ...req.ctx, actor: keyActor(req.apiKey) } }, deps)
    }
    const claims = await deps.verifyServiceRole(req.accessToken)
    return handler({ ...req, ctx: { ...req.ctx, actor: adminActor(claims) } }, deps)
  }
}

/**
 * A GET with side effects (it consumes a mailed link, or sends mail): `HEAD`, which the router
 * answers with the GET route and mail scanners send to links, is refused instead of run.
 */
export function getOnly(handler: RouteHandler): RouteHandler {
  return (req, deps) => {
    if (req.request.method === 'HEAD') {
      throw new HttpError('HTTP_METHOD_NOT_ALLOWED', 'Method HEAD not allowed; use GET', {
        headers: { Allow: 'GET' },
      })
    }
    return handler(req, deps)
  }
}
