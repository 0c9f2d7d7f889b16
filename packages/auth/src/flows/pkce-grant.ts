import type { RouteHandler } from '../context'
import { AuthError } from '../errors'
import { json } from '../http'
import { isBanned } from '../users'
import { exchangeAuthCode } from './pkce'

/**
 * `POST /token?grant_type=pkce` (auth-js `exchangeCodeForSession`, GoTrue's `PKCE` grant):
 * `{ auth_code, code_verifier }` → the session JSON, `amr` set to the flow's method
 * (`magiclink`, `recovery`, `email/signup`, …). The flow state is single use.
 */
export const pkceGrant: RouteHandler = async (ctx) => {
  const { body, services } = ctx
  const authCode = typeof body.auth_code === 'string' ? body.auth_code : ''
  const codeVerifier = typeof body.code_verifier === 'string' ? body.code_verifier : ''
  const session = await services.transact(async (tx) => {
    const flow = await exchangeAuthCode(tx, { authCode, codeVerifier })
    const user = await services.users.findById(tx, flow.userId, { forUpdate: true })
    if (!user || user.deleted_at) {
      throw new AuthError('flow_state_not_found', 'invalid flow state, no valid flow state found', {
        status: 404,
      })
    }
    if (isBanned(user)) throw new AuthError('user_banned', 'User is banned', { status: 403 })
    await services.audit(tx, 'login', user, { ip: ctx.ip, traits: { provider_type: flow.method } })
    return services.issueSession(tx, user, { amr: flow.method, ip: ctx.ip, userAgent: ctx.userAgent })
  })
  return json(session)
}
