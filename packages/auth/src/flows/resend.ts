import type { RouteHandler } from '../context'
import { AuthError } from '../errors'
import { json } from '../http'
import { secureEmailChange } from './email-change'
import { parsePkceParams } from './pkce'
import { emailParam, redirectParam } from './request-params'
import { sendConfirmation, sendEmailChange } from './send'

/**
 * `POST /resend` (auth-js `resend`, GoTrue's `resend.go`): sends the sign-up confirmation or the
 * email-change mails again. `200 {}` whether or not there is anything to resend.
 */
export const resend: RouteHandler = async (ctx) => {
  const { body, services } = ctx
  const type = typeof body.type === 'string' ? body.type : ''
  if (!['signup', 'email_change', 'sms', 'phone_change'].includes(type)) {
    throw new AuthError(
      'validation_failed',
      'Missing one of these types: signup, email_change, sms, phone_change',
      {
        status: 400,
      },
    )
  }
  const phone = typeof body.phone === 'string' ? body.phone : ''
  const rawEmail = typeof body.email === 'string' ? body.email : ''
  if (rawEmail !== '' && phone !== '') {
    throw new AuthError('validation_failed', 'Only an email address or phone number should be provided.', {
      status: 400,
    })
  }
  if (type === 'sms' || type === 'phone_change' || phone !== '') {
    throw new AuthError('phone_provider_disabled', 'Phone logins are disabled', { status: 400 })
  }
  const email = emailParam(rawEmail, 'Type provided requires an email address')
  const pkce = parsePkceParams(body)
  const redirectTo = redirectParam(ctx)
  await services.rateLimit(`otp:ip:${ctx.ip}`, services.options.rateLimits.otp)
  await services.transact(async (tx) => {
    const user = await services.users.findByEmail(tx, email, { forUpdate: true })
    if (!user) return
    if (type === 'signup') {
      if (user.email_confirmed_at) return
      await services.audit(tx, 'user_confirmation_requested', user, { ip: ctx.ip })
      await sendConfirmation(services, tx, user, { redirectTo, pkce })
      return
    }
    if (!user.email_change) return
    // As PUT /user: the current address confirms too only when it is itself confirmed.
    const secure = secureEmailChange(services) && Boolean(user.email && user.email_confirmed_at)
    await sendEmailChange(services, tx, user, user.email_change, { redirectTo, pkce }, secure)
  })
  return json({})
}
