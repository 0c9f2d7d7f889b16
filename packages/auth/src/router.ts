/**
 * # Routing and the contract between route modules
 *
 * The handler strips `basePath`, matches `METHOD path` (relative to the mount point, e.g.
 * `POST /signup`) against one route table, and calls the route's handler:
 *
 * ```ts
 * type RouteHandler = (ctx: RouteContext) => Promise<Response>
 * interface Route { method: 'GET' | 'POST' | …; path: '/admin/users/:id'; handler: RouteHandler; oauthErrors?: boolean }
 * ```
 *
 * Route modules: `src/routes/*` (sign-up, password + refresh grants, user, logout, settings,
 * health, JWKS), `src/flows/*` (OTP, magic link, verify, resend, recover, email-change
 * confirmation, PKCE flow state and the `pkce` grant — exported as `flowRoutes` and
 * `flowGrants` from `src/flows/index.ts`), `src/admin/*` (admin users, generate_link, invite —
 * `adminRoutes` from `src/admin/index.ts`).
 *
 * ## RouteContext (`src/context.ts`)
 * `request`, `url`, `path`, `params` (`:name` segments), `query`, `body` (parsed JSON or form;
 * `{}` when empty; bad JSON is a 400 `bad_json` before the route runs), `ip` (the `clientIp`
 * option), `userAgent`, `apiVersion` (`'2024-01-01'` or null — rendering uses it, routes rarely
 * need it), `claims()` (verified bearer claims or null), `requireUser()` → `{ user, claims,
 * session }`, `requireAdmin()` → claims, and `services`.
 *
 * ## Shared services (`ctx.services`, `src/services.ts`)
 * - `transact(fn)` — one transaction as the connecting role; `AuthError({ commit: true })` commits, then fails.
 * - `issueSession(tx, user, { amr, aal?, ip?, userAgent? })` → GoTrue session JSON
 *   (`access_token, token_type, expires_in, expires_at, refresh_token, user`).
 * - `users` — `findById`, `findByEmail`, `findByPhone`, `create`, `confirmEmail`, `updatePassword`,
 *   `updateUserMetadata`, `updateAppMetadata`, `update`, `touchLastSignIn` (all take `tx`);
 *   `toUserJson(user)` from `src/users.ts` renders GoTrue's user object.
 * - `sessions` — `issue`, `refresh(tx, token, { ip, userAgent })`, `find`, `findUserAndSession`,
 *   `logout(tx, userId, sessionId, scope)`, `revokeAllExcept`.
 * - `oneTimeTokens` — `issue(tx, { userId, type, relatesTo })` → `{ otp, tokenHash }` (only
 *   `sha256(tokenHash)` is stored), `findByTokenHash`, `findByOtp`, `consume`, `clearForUser`.
 * - `passwords` — `hash`, `verify` (scrypt PHC + imported bcrypt; `needsRehash`), `verifyDummy`,
 *   `checkPolicy` (throws 422 `weak_password` with `reasons`).
 * - `sendMail(tx, template, to, variables)` — enqueues through `@groundwork/mail` in `tx`, counts
 *   the per-address email limit; `verifyUrl(type, tokenHash, redirectTo)` builds the mailed link.
 * - `rateLimit(key, limit, kind?)` — Postgres fixed window; 429 with `Retry-After`. Limits are
 *   `services.options.rateLimits.*`; key them `'<action>:ip:<ip>'` / `'<action>:email:<email>'`.
 * - `redirects.resolve(redirect_to)` — the allow-listed URL or `siteUrl`.
 * - `hashToken`, `randomToken`, `randomOtp`, `safeEqual`, `audit(tx, action, user, { ip, traits })`.
 * - Errors: throw `authError(code, message, status?)` / `new AuthError(code, message, { status,
 *   extra, headers, commit })` or `new OAuthError(error, description)` (`src/errors.ts`); the
 *   router renders GoTrue's format for the request's API version. Anything else is a 500
 *   `unexpected_failure` reported to `onError` (no internals leak).
 */
import { adminRoutes } from './admin/index'
import { createContext, type Route, type RouteMethod } from './context'
import { createCors } from './cors'
import { AuthError, OAuthError } from './errors'
import { flowRoutes } from './flows/index'
import { defaultClientIp, readBody, renderError, requestApiVersion, unexpectedFailure } from './http'
import { coreRoutes } from './routes/index'
import type { AuthServices } from './services'

interface CompiledRoute extends Route {
  pattern: RegExp
  names: string[]
}

function compile(route: Route): CompiledRoute {
  const names: string[] = []
  const source = route.path
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        names.push(segment.slice(1))
        return '([^/]+)'
      }
      return segment.replace(/[.+?^${}()|[\]\\*]/g, '\\$&')
    })
    .join('/')
  return { ...route, pattern: new RegExp(`^${source}/?$`), names }
}

/** The Web-standard handler over every route table. */
export function createRouter(services: AuthServices): (request: Request) => Promise<Response> {
  const routes = [...coreRoutes, ...flowRoutes, ...adminRoutes].map(compile)
  const { basePath, onError, clientIp } = services.options
  const cors = createCors(services.options.cors)

  return async function handler(request) {
    return cors.decorate(request, await route(request))
  }

  async function route(request: Request): Promise<Response> {
    const preflight = cors.preflight(request)
    if (preflight) return preflight
    const apiVersion = requestApiVersion(request)
    const url = new URL(request.url)
    let path = url.pathname
    if (basePath && (path === basePath || path.startsWith(`${basePath}/`)))
      path = path.slice(basePath.length) || '/'
    const method = request.method.toUpperCase() as RouteMethod
    let matched: { route: CompiledRoute; params: Record<string, string> } | null = null
    let pathExists = false
    for (const route of routes) {
      const match = route.pattern.exec(path)
      if (!match) continue
      pathExists = true
      if (route.method !== method) continue
      const params: Record<string, string> = {}
      route.names.forEach((name, index) => {
        params[name] = decodeURIComponent(match[index + 1] ?? '')
      })
      matched = { route, params }
      break
    }
    if (!matched) {
      const error = pathExists
        ? new AuthError('validation_failed', 'Method not allowed', { status: 405 })
        : new AuthError('unknown', 'Not Found', { status: 404 })
      return renderError(error, apiVersion)
    }
    try {
      const body = await readBody(request)
      const ctx = createContext({
        request,
        url,
        path,
        params: matched.params,
        body,
        ip: (clientIp ?? defaultClientIp)(request),
        apiVersion,
        services,
      })
      const response = await matched.route.handler(ctx)
      if (!apiVersion || response.headers.has('X-Supabase-Api-Version')) return response
      try {
        response.headers.set('X-Supabase-Api-Version', apiVersion)
        return response
      } catch {
        // Immutable headers (Response.redirect()/fetch responses): answer a copy.
        const copy = new Response(response.body, response)
        copy.headers.set('X-Supabase-Api-Version', apiVersion)
        return copy
      }
    } catch (error) {
      if (error instanceof AuthError || error instanceof OAuthError) return renderError(error, apiVersion)
      onError?.(error, request)
      return renderError(unexpectedFailure(), apiVersion)
    }
  }
}
