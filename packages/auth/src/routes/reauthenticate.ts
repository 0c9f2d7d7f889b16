import type { Route } from '../context'
import { AuthError } from '../errors'
import { sendReauthentication } from '../flows/send'
import { json } from '../http'

/**
 * `GET /reauthenticate` (auth-js `reauthenticate()`): mails the signed-in user a code to pass as
 * `nonce` with a password change (see `securePasswordChange`). Answers `200 {}`.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/reauthenticate.go
 */
export const reauthenticateRoute: Route = {
  method: 'GET',
  path: '/reauthenticate',
  async handler(ctx) {
    const { user } = await ctx.requireUser()
    if (!user.email) {
      throw new AuthError(
        'validation_failed',
        'Reauthentication requires the user to have an email or a phone number',
        {
          status: 422,
        },
      )
    }
    await ctx.services.rateLimit(`otp:ip:${ctx.ip}`, ctx.services.options.rateLimits.otp)
    await ctx.services.transact(async (tx) => {
      const locked = await ctx.services.users.findById(tx, user.id, { forUpdate: true })
      if (!locked) throw new AuthError('user_not_found', 'User not found', { status: 404 })
      await sendReauthentication(ctx.services, tx, locked)
      await ctx.services.audit(tx, 'user_reauthenticate_requested', locked, { ip: ctx.ip })
    })
    return json({})
  },
}
