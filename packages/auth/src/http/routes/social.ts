import type { AuthorizeInput } from '../../social/api'
import type { GoTrueRequest } from '../request'
import { json } from '../response'
import { getOnly, type Route } from '../route'

/** The `/authorize` parameters that are not forwarded to the provider. */
const OWN_PARAMS = new Set([
  'provider',
  'scopes',
  'redirect_to',
  'code_challenge',
  'code_challenge_method',
  'skip_http_redirect',
])

/** GoTrue answers the external flow's redirects with 302 Found. */
function found(location: string): Response {
  return new Response(null, { status: 302, headers: { location, 'cache-control': 'no-store' } })
}

function authorizeInput(req: GoTrueRequest): AuthorizeInput {
  const { query } = req
  const queryParams: Record<string, string> = {}
  for (const [key, value] of query) if (!OWN_PARAMS.has(key)) queryParams[key] = value
  return {
    provider: query.get('provider') ?? '',
    redirectTo: req.redirectTo(),
    scopes: query.get('scopes') ?? '',
    codeChallenge: query.get('code_challenge') ?? '',
    codeChallengeMethod: query.get('code_challenge_method') ?? '',
    queryParams,
  }
}

/** `skip_http_redirect=true` (auth-js `linkIdentity`): the URL as JSON instead of a redirect. */
function answer(req: GoTrueRequest, url: string): Response {
  return req.query.get('skip_http_redirect') === 'true' ? json({ url }) : found(url)
}

/**
 * GoTrue's external sign-in routes: `GET /authorize` (to the provider), `GET|POST /callback`
 * (back from it; Apple posts a form), `GET /user/identities/authorize` (link) and `DELETE
 * /user/identities/{id}` (unlink).
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/external.go
 * @see https://github.com/supabase/auth/blob/master/internal/api/identity.go
 */
export const socialRoutes: Route[] = [
  {
    method: 'GET',
    path: '/authorize',
    handler: getOnly(async (req, { api }) =>
      answer(req, await api.social.authorize(authorizeInput(req), req.ctx)),
    ),
  },
  {
    method: 'GET',
    path: '/callback',
    handler: getOnly(async ({ query, ctx }, { api }) =>
      found((await api.social.callback(query, ctx)).location),
    ),
  },
  {
    method: 'POST',
    path: '/callback',
    async handler({ body, ctx }, { api }) {
      const params = new URLSearchParams()
      for (const [key, value] of Object.entries(body)) if (typeof value === 'string') params.set(key, value)
      return found((await api.social.callback(params, ctx)).location)
    },
  },
  {
    method: 'GET',
    path: '/user/identities/authorize',
    handler: getOnly(async (req, { api }) =>
      answer(req, await api.social.linkIdentity(req.accessToken, authorizeInput(req), req.ctx)),
    ),
  },
  {
    method: 'DELETE',
    path: '/user/identities/:id',
    async handler({ params, accessToken, ctx }, { api }) {
      await api.social.unlinkIdentity(accessToken, params.id ?? '', ctx)
      return json({})
    },
  },
]
