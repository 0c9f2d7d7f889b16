import type { AuthCallContext } from '../api/context'
import { AuthError } from '../errors'
import type { AuthServices } from '../services'
import type { SignOutScope } from '../sessions/sessions'

const SCOPES: readonly string[] = ['global', 'local', 'others'] satisfies SignOutScope[]

/**
 * GoTrue's `POST /logout?scope=`: ends the token's session (`local`), the user's other sessions
 * (`others`) or all of them (`global`, the default); their refresh tokens go with them.
 */
export async function signOut(
  services: AuthServices,
  accessToken: string,
  scope: SignOutScope,
  ctx: AuthCallContext,
): Promise<void> {
  if (!SCOPES.includes(scope)) {
    throw new AuthError('validation_failed', `Unsupported logout scope ${JSON.stringify(scope)}`, {
      status: 400,
    })
  }
  const { user, claims } = await services.tokens.user(accessToken)
  const sessionId = typeof claims.session_id === 'string' ? claims.session_id : null
  await services.transact(async (tx) => {
    await services.sessions.logout(tx, user.id, sessionId, scope)
    await services.audit(tx, 'logout', user, { ip: ctx.ip, traits: { scope } })
  })
}
