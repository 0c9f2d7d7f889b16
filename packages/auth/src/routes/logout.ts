import type { Route } from '../context'
import { AuthError } from '../errors'

const SCOPES = ['global', 'local', 'others'] as const

/**
 * `POST /logout?scope=global|local|others` (default `global`): ends the user's sessions (their
 * refresh tokens go with them). Answers 204.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/logout.go
 */
export const logoutRoute: Route = {
  method: 'POST',
  path: '/logout',
  async handler(ctx) {
    const scope = ctx.query.get('scope') || 'global'
    if (!(SCOPES as readonly string[]).includes(scope)) {
      throw new AuthError('validation_failed', `Unsupported logout scope ${JSON.stringify(scope)}`, {
        status: 400,
      })
    }
    const { user, claims } = await ctx.requireUser()
    const sessionId = typeof claims.session_id === 'string' ? claims.session_id : null
    await ctx.services.transact(async (tx) => {
      await ctx.services.sessions.logout(tx, user.id, sessionId, scope as (typeof SCOPES)[number])
      await ctx.services.audit(tx, 'logout', user, { ip: ctx.ip, traits: { scope } })
    })
    return new Response(null, { status: 204 })
  },
}
