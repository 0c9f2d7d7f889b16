import { AuthError } from './errors'
import type { AccessTokenClaims } from './jwt'
import type { AuthServices } from './services'
import type { SessionRow } from './sessions'
import type { User } from './users'

/** HTTP methods routes may declare. */
export type RouteMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** What every route handler receives. */
export interface RouteContext {
  readonly request: Request
  readonly url: URL
  /** The path relative to the mount point (`basePath` stripped), e.g. `/admin/users/…`. */
  readonly path: string
  /** `:name` segments of the matched route pattern. */
  readonly params: Record<string, string>
  readonly query: URLSearchParams
  /** The parsed JSON (or form) body; `{}` for GET and empty bodies. */
  readonly body: Record<string, unknown>
  /** The client address (see the `clientIp` option). */
  readonly ip: string
  readonly userAgent: string | null
  /** `'2024-01-01'` when the request sent `X-Supabase-Api-Version` ≥ that date, else null. */
  readonly apiVersion: string | null
  readonly services: AuthServices
  /** The verified bearer token's claims, or null without one. Throws 403 `bad_jwt` for a bad token. */
  claims(): Promise<AccessTokenClaims | null>
  /**
   * The signed-in user (GoTrue's `requireAuthentication`): 401 `no_authorization` without a
   * token, 403 `bad_jwt`, `user_not_found` or `session_not_found` otherwise.
   */
  requireUser(): Promise<{ user: User; claims: AccessTokenClaims; session: SessionRow | null }>
  /** A service-role caller (GoTrue's `requireAdmin`): 401 without a token, 403 `not_admin` for other roles. */
  requireAdmin(): Promise<AccessTokenClaims>
}

/** A route handler: returns a Response or throws an `AuthError`/`OAuthError`. */
export type RouteHandler = (ctx: RouteContext) => Promise<Response>

/** One entry of the route table. `path` may contain `:name` segments. */
export interface Route {
  method: RouteMethod
  path: string
  handler: RouteHandler
  /** Errors thrown by this route are OAuth-style (`{ error, error_description }`)… only where GoTrue does. */
  oauthErrors?: boolean
}

/** Roles allowed on admin endpoints (GoTrue's `JWT_ADMIN_ROLES`). */
export const ADMIN_ROLES = ['service_role', 'supabase_admin']

/** Builds the per-request context (lazy: the token is verified only when a route asks). */
export function createContext(input: {
  request: Request
  url: URL
  path: string
  params: Record<string, string>
  body: Record<string, unknown>
  ip: string
  apiVersion: string | null
  services: AuthServices
}): RouteContext {
  const { request, services } = input
  let claimsPromise: Promise<AccessTokenClaims | null> | undefined
  const bearer = (): string | null => {
    const header = request.headers.get('authorization')
    if (!header) return null
    const match = /^bearer\s+(.+)$/i.exec(header.trim())
    return match?.[1]?.trim() || null
  }
  const ctx: RouteContext = {
    ...input,
    query: input.url.searchParams,
    userAgent: request.headers.get('user-agent'),
    claims() {
      claimsPromise ??= (async () => {
        const token = bearer()
        if (!token) return null
        return services.signer.verify(token, { requireAudience: false })
      })()
      return claimsPromise
    },
    async requireUser() {
      const claims = await ctx.claims()
      if (!claims)
        throw new AuthError('no_authorization', 'This endpoint requires a Bearer token', { status: 401 })
      if (typeof claims.sub !== 'string' || claims.sub === '') {
        throw new AuthError('bad_jwt', 'invalid claim: missing sub claim', { status: 403 })
      }
      const sessionId =
        typeof claims.session_id === 'string' && claims.session_id !== '' ? claims.session_id : null
      const { user, session } = await services.sessions.findUserAndSession(services.db, claims.sub, sessionId)
      if (!user || user.deleted_at) {
        throw new AuthError('user_not_found', 'User from sub claim in JWT does not exist', { status: 403 })
      }
      if (sessionId) {
        if (!session || (session.not_after && session.not_after <= new Date())) {
          throw new AuthError('session_not_found', 'Session from session_id claim in JWT does not exist', {
            status: 403,
          })
        }
      }
      return { user, claims, session }
    },
    async requireAdmin() {
      const claims = await ctx.claims()
      if (!claims)
        throw new AuthError('no_authorization', 'This endpoint requires a Bearer token', { status: 401 })
      if (typeof claims.role !== 'string' || !ADMIN_ROLES.includes(claims.role)) {
        throw new AuthError('not_admin', 'User not allowed', { status: 403 })
      }
      return claims
    },
  }
  return ctx
}
