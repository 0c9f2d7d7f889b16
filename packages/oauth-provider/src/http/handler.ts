import type { Auth } from '@groundwork/auth'
import { canAdminister, type Database, type Principal } from '@groundwork/core'
import { createRouter, errorResponse, json, readJson, relativePath } from '@groundwork/core/kit'
import type { OAuthProviderApi as ProviderApi } from '../api'
import { OAuthProviderError, oauthErrorFormat } from '../errors'
import { authorizationServerMetadata } from '../metadata'
import type { ResolvedOAuthProviderOptions } from '../options-schema'
import { bearer, readParams } from './params'

/** What a route receives. */
interface RouteInput {
  request: Request
  url: URL
  params: Record<string, string>
  ip: string | undefined
}

type RouteHandler = (input: RouteInput) => Promise<Response>

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }
const CORS_HEADERS = 'authorization, content-type, apikey, x-client-info, dpop'

/** The address of a request when no `clientIp` option says otherwise: the first forwarded hop. */
function defaultClientIp(request: Request): string | undefined {
  const forwarded = request.headers.get('x-forwarded-for')
  return forwarded?.split(',')[0]?.trim().slice(0, 64) || undefined
}

/**
 * The provider's Web-standard handler: a thin HTTP layer over {@link ProviderApi}. Routes are
 * relative to where it is mounted (`/auth/v1` in the demo, where Supabase serves them); a path it
 * has no route for answers the kit's unmatched 404, so `composeHandlers(oauth.handler,
 * auth.handler)` passes it on to auth. Errors are RFC 6749 §5.2 JSON; responses carry
 * `Cache-Control: no-store`; CORS is open (`*`, no credentials: nothing here reads cookies).
 */
export function createHandler(deps: {
  api: ProviderApi
  auth: Pick<Auth, 'authenticate'>
  db: Database
  options: ResolvedOAuthProviderOptions
}): (request: Request) => Promise<Response> {
  const { api, options } = deps
  const clientIp = options.clientIp ?? defaultClientIp
  const maxBytes = options.maxBodyBytes

  /** The service_role principal of an admin call (who acts, for the audit log), else 401/403. */
  async function requireAdmin(request: Request): Promise<Principal> {
    let principal: Awaited<ReturnType<Auth['authenticate']>>
    try {
      principal = await deps.auth.authenticate(request)
    } catch (cause) {
      throw new OAuthProviderError('OAUTH_INVALID_TOKEN', 'A valid service_role token is required', { cause })
    }
    if (!canAdminister(principal, deps.db.roles.service)) {
      throw new OAuthProviderError('OAUTH_FORBIDDEN', 'This endpoint requires the service_role')
    }
    return principal
  }

  function userToken(request: Request): string {
    const token = bearer(request)
    if (!token) {
      throw new OAuthProviderError('OAUTH_INVALID_TOKEN', 'This endpoint requires a Bearer token', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      })
    }
    return token
  }

  const clientInput = async (request: Request) => ({
    authorization: request.headers.get('authorization'),
    params: await readParams(request, maxBytes),
  })

  const metadata: RouteHandler = async () =>
    json(authorizationServerMetadata(options), 200, { 'cache-control': 'public, max-age=300' })

  const routes: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; path: string; handler: RouteHandler }[] = [
    {
      method: 'GET',
      path: '/oauth/authorize',
      async handler({ url }) {
        const { location } = await api.authorize(url.searchParams)
        return new Response(null, { status: 302, headers: { location, ...NO_STORE } })
      },
    },
    {
      method: 'GET',
      path: '/oauth/authorizations/:id',
      handler: async ({ request, params }) =>
        json(await api.consent.details(params.id as string, userToken(request)), 200, NO_STORE),
    },
    {
      method: 'POST',
      path: '/oauth/authorizations/:id/consent',
      async handler({ request, params }) {
        const token = userToken(request)
        const body = (await readJson(request, { maxBytes, maxJsonDepth: 8 })) as
          | { action?: unknown }
          | undefined
        const action = body?.action
        if (action !== 'approve' && action !== 'deny') {
          throw new OAuthProviderError('OAUTH_INVALID_REQUEST', 'action must be "approve" or "deny"')
        }
        return json(await api.consent.decide(params.id as string, token, action), 200, NO_STORE)
      },
    },
    {
      method: 'POST',
      path: '/oauth/token',
      async handler({ request, ip }) {
        const input = await clientInput(request)
        const tokens = await api.token(input, { ip, userAgent: request.headers.get('user-agent') })
        return json(tokens, 200, NO_STORE)
      },
    },
    {
      method: 'POST',
      path: '/oauth/revoke',
      async handler({ request }) {
        await api.revokeRequest(await clientInput(request))
        return new Response(null, { status: 200, headers: NO_STORE })
      },
    },
    {
      method: 'POST',
      path: '/oauth/introspect',
      handler: async ({ request }) =>
        json(await api.introspectRequest(await clientInput(request)), 200, NO_STORE),
    },
    {
      method: 'GET',
      path: '/oauth/userinfo',
      handler: async ({ request }) => json(await api.userinfo(bearer(request) ?? ''), 200, NO_STORE),
    },
    {
      method: 'POST',
      path: '/oauth/userinfo',
      handler: async ({ request }) => json(await api.userinfo(bearer(request) ?? ''), 200, NO_STORE),
    },
    ...(options.dynamicRegistration
      ? [
          {
            method: 'POST' as const,
            path: '/oauth/clients/register',
            async handler({ request, ip }: RouteInput) {
              const body = await readJson(request, { maxBytes, maxJsonDepth: 8 })
              return json(await api.register(body, { ip }), 201, NO_STORE)
            },
          },
        ]
      : []),
    {
      method: 'GET',
      path: '/admin/oauth/clients',
      async handler({ request, url }) {
        await requireAdmin(request)
        const page = Number(url.searchParams.get('page') || 1)
        const perPage = Number(url.searchParams.get('per_page') || 50)
        const result = await api.clients.list({ page, perPage })
        const last = Math.max(1, Math.ceil(result.total / Math.max(1, perPage)))
        const base = `${options.issuer}/admin/oauth/clients`
        const links = [`<${base}?page=${last}&per_page=${perPage}>; rel="last"`]
        if (page < last) links.unshift(`<${base}?page=${page + 1}&per_page=${perPage}>; rel="next"`)
        return json({ clients: result.clients, aud: 'authenticated' }, 200, {
          'x-total-count': String(result.total),
          link: links.join(', '),
        })
      },
    },
    {
      method: 'POST',
      path: '/admin/oauth/clients',
      async handler({ request, ip }) {
        const actor = await requireAdmin(request)
        const body = await readJson(request, { maxBytes, maxJsonDepth: 8 })
        return json(await api.clients.create(body, { actor, ip }), 201, NO_STORE)
      },
    },
    {
      method: 'GET',
      path: '/admin/oauth/clients/:id',
      async handler({ request, params }) {
        await requireAdmin(request)
        return json(await api.clients.get(params.id as string))
      },
    },
    {
      method: 'PUT',
      path: '/admin/oauth/clients/:id',
      async handler({ request, params, ip }) {
        const actor = await requireAdmin(request)
        const body = await readJson(request, { maxBytes, maxJsonDepth: 8 })
        return json(await api.clients.update(params.id as string, body, { actor, ip }))
      },
    },
    {
      method: 'DELETE',
      path: '/admin/oauth/clients/:id',
      async handler({ request, params, ip }) {
        const actor = await requireAdmin(request)
        await api.clients.delete(params.id as string, { actor, ip })
        return new Response(null, { status: 204 })
      },
    },
    {
      method: 'POST',
      path: '/admin/oauth/clients/:id/regenerate_secret',
      async handler({ request, params, ip }) {
        const actor = await requireAdmin(request)
        return json(await api.clients.regenerateSecret(params.id as string, { actor, ip }), 200, NO_STORE)
      },
    },
    {
      method: 'GET',
      path: '/user/oauth/grants',
      handler: async ({ request }) => json(await api.grants.list(userToken(request)), 200, NO_STORE),
    },
    {
      method: 'DELETE',
      path: '/user/oauth/grants',
      async handler({ request, url }) {
        const clientId = url.searchParams.get('client_id')
        if (!clientId) throw new OAuthProviderError('OAUTH_INVALID_REQUEST', 'client_id is required')
        await api.grants.revoke(userToken(request), clientId)
        return new Response(null, { status: 204 })
      },
    },
    { method: 'GET', path: '/.well-known/oauth-authorization-server', handler: metadata },
    { method: 'GET', path: '/.well-known/openid-configuration', handler: metadata },
    {
      method: 'GET',
      path: '/.well-known/jwks.json',
      handler: async () => json(await api.jwks(), 200, { 'cache-control': 'public, max-age=300' }),
    },
  ]
  const router = createRouter(routes)

  function cors(request: Request, response: Response): Response {
    if (request.headers.has('origin') && !response.headers.has('access-control-allow-origin')) {
      response.headers.set('access-control-allow-origin', '*')
      response.headers.set(
        'access-control-expose-headers',
        'www-authenticate, x-total-count, link, retry-after',
      )
    }
    return response
  }

  return async (request) => {
    let response: Response
    try {
      const url = new URL(request.url)
      const path = relativePath(url.pathname, options.basePath)
      if (request.method === 'OPTIONS') {
        const allowed = router.allowed(path)
        // Not ours: pass it on (unmatched), as any other method.
        if (allowed.length === 0) router.match('GET', path)
        return new Response(null, {
          status: 204,
          headers: {
            'access-control-allow-origin': '*',
            'access-control-allow-methods': allowed.join(', '),
            'access-control-allow-headers': CORS_HEADERS,
            'access-control-max-age': '600',
          },
        })
      }
      const { route, params } = router.match(request.method, path)
      response = await route.handler({ request, url, params, ip: clientIp(request) })
      if (request.method === 'HEAD') response = new Response(null, response)
    } catch (error) {
      response = errorResponse(error, oauthErrorFormat, options.onError, request)
    }
    return cors(request, response)
  }
}
