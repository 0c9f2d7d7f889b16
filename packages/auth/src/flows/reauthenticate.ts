import type { AuthCallContext } from '../api/context'
import { AuthError } from '../errors'
import type { AuthServices } from '../services'
import { sendReauthentication } from './send'

/**
 * GoTrue's `GET /reauthenticate`: mails the signed-in user a code to pass as `nonce` with a
 * password change (see `securePasswordChange`).
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/reauthenticate.go
 */
export async function reauthenticate(
  services: AuthServices,
  accessToken: string,
  ctx: AuthCallContext,
): Promise<void> {
  const { user } = await services.tokens.accountUser(accessToken)
  if (!user.email) {
    throw new AuthError(
      'validation_failed',
      'Reauthentication requires the user to have an email or a phone number',
      {
        status: 422,
      },
    )
  }
  await services.rateLimit(`otp:ip:${ctx.ip ?? ''}`, services.options.rateLimits.otp)
  await services.transact(async (tx) => {
    const locked = await services.users.findById(tx, user.id, { forUpdate: true })
    if (!locked) throw new AuthError('user_not_found', 'User not found', { status: 404 })
    await sendReauthentication(services, tx, locked)
    await services.audit(tx, 'user_reauthenticate_requested', locked, { ip: ctx.ip })
  })
}
