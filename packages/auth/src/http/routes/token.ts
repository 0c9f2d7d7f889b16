import { OAuthError } from '../../errors'
import { json } from '../response'
import type { Route, RouteHandler } from '../route'

/** The grants of `POST /token`, by `grant_type`. */
const GRANTS: Record<string, RouteHandler> = {
  async password({ body, ctx }, { api }) {
    const { session, weakPassword } = await api.signInWithPassword(
      { email: body.email as string, phone: body.phone as string, password: body.password as string },
      ctx,
    )
    return json(weakPassword ? { ...session, weak_password: weakPassword } : session)
  },
  refresh_token: async ({ body, ctx }, { api }) =>
    json(await api.refreshSession(body.refresh_token as string, ctx)),
  pkce: async ({ body, ctx }, { api }) =>
    json(await api.exchangeCodeForSession(body.auth_code as string, body.code_verifier as string, ctx)),
  async id_token({ body, ctx, accessToken }, { api }) {
    const input = {
      provider: body.provider as string,
      idToken: body.id_token as string,
      nonce: body.nonce as string,
      accessToken: body.access_token as string,
    }
    // auth-js `linkIdentity({ provider, token })`: the same grant, with the user's access token.
    return json(
      body.link_identity === true
        ? await api.social.linkIdentityWithIdToken(accessToken, input, ctx)
        : await api.social.signInWithIdToken(input, ctx),
    )
  },
}

/**
 * `POST /token?grant_type=password|refresh_token|pkce|id_token`; an unknown grant is the OAuth error
 * `unsupported_grant_type`, as GoTrue answers it.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/token.go
 */
export const tokenRoute: Route = {
  method: 'POST',
  path: '/token',
  async handler(req, deps) {
    const grantType =
      req.query.get('grant_type') ?? (typeof req.body.grant_type === 'string' ? req.body.grant_type : '')
    const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined
    if (!grant) throw new OAuthError('unsupported_grant_type', '')
    return grant(req, deps)
  },
}
