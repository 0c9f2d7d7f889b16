import type { AuthCallContext } from '../api/context'
import { AuthError } from '../errors'
import type { AuthServices } from '../services'
import type { Session } from '../sessions/types'
import { isBanned } from '../users/record'
import { stringParam } from '../users/validation'
import { exchangeAuthCode } from './pkce'

/**
 * GoTrue's `POST /token?grant_type=pkce` (auth-js `exchangeCodeForSession`): an auth code from a
 * PKCE link plus its `code_verifier` → a session, `amr` set to the flow's method (`magiclink`,
 * `recovery`, `email/signup`, …). The flow state is single use.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/token.go
 */
export async function exchangeCodeForSession(
  services: AuthServices,
  authCode: string,
  codeVerifier: string,
  ctx: AuthCallContext,
): Promise<Session> {
  return services.transact(async (tx) => {
    const flow = await exchangeAuthCode(tx, {
      authCode: stringParam(authCode),
      codeVerifier: stringParam(codeVerifier),
    })
    const user = await services.users.findById(tx, flow.userId, { forUpdate: true })
    if (!user || user.deleted_at) {
      throw new AuthError('flow_state_not_found', 'invalid flow state, no valid flow state found', {
        status: 404,
      })
    }
    if (isBanned(user)) throw new AuthError('user_banned', 'User is banned', { status: 403 })
    await services.audit(tx, 'login', user, { ip: ctx.ip, traits: { provider_type: flow.method } })
    const session = await services.sessions.issue(tx, user, {
      amr: flow.method,
      ip: ctx.ip,
      userAgent: ctx.userAgent,
    })
    // A social sign-in's session carries the provider's tokens, as GoTrue answers them.
    return {
      ...session,
      ...(flow.providerAccessToken ? { provider_token: flow.providerAccessToken } : {}),
      ...(flow.providerRefreshToken ? { provider_refresh_token: flow.providerRefreshToken } : {}),
    }
  })
}
