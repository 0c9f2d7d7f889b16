import type { AuthCallContext } from '../api/context'
import { AuthError } from '../errors'
import type { AuthServices } from '../services'
import { requireEmail, stringParam } from '../users/validation'
import { parsePkce } from './pkce'
import { sendEmailChange, sendLinkMail } from './send'

/** Input of `auth.api.resend`. */
export interface ResendInput {
  /** `signup`: the confirmation; `email_change`: the email-change mails. (`sms`, `phone_change`: refused.) */
  type: 'signup' | 'email_change' | 'sms' | 'phone_change'
  email?: string
  phone?: string
  /** Where the link lands (must pass the allow-list; else `siteUrl`). */
  redirectTo?: string
  codeChallenge?: string
  codeChallengeMethod?: string
}

const TYPES: readonly string[] = [
  'signup',
  'email_change',
  'sms',
  'phone_change',
] satisfies ResendInput['type'][]

/**
 * GoTrue's `POST /resend`: sends the sign-up confirmation or the email-change mails again; the
 * same status, body and time whether or not there is anything to resend (limits counted per
 * address first, the lookup in `services.uniform`, as `/recover`).
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/resend.go
 */
export async function resend(
  services: AuthServices,
  input: ResendInput,
  ctx: AuthCallContext,
): Promise<void> {
  const type = stringParam(input.type)
  if (!TYPES.includes(type)) {
    throw new AuthError(
      'validation_failed',
      'Missing one of these types: signup, email_change, sms, phone_change',
      {
        status: 400,
      },
    )
  }
  const phone = stringParam(input.phone)
  const rawEmail = stringParam(input.email)
  if (rawEmail !== '' && phone !== '') {
    throw new AuthError('validation_failed', 'Only an email address or phone number should be provided.', {
      status: 400,
    })
  }
  if (type === 'sms' || type === 'phone_change' || phone !== '') {
    throw new AuthError('phone_provider_disabled', 'Phone logins are disabled', { status: 400 })
  }
  const email = requireEmail(rawEmail, 'Type provided requires an email address')
  const pkce = parsePkce(input)
  const redirectTo = services.redirects.resolve(input.redirectTo)
  await services.rateLimit(`otp:ip:${ctx.ip ?? ''}`, services.options.rateLimits.otp)
  await services.countMailRequest(type === 'signup' ? 'confirmation' : 'email_change', email)
  const link = { redirectTo, pkce, counted: true }
  await services.uniform.run(`resend:${type}`, (reference) =>
    services.transact(async (tx) => {
      const user = await services.users.findByEmail(tx, email, { forUpdate: true })
      if (!user) return
      if (type === 'signup') {
        if (user.email_confirmed_at) return
        reference()
        await services.audit(tx, 'user_confirmation_requested', user, { ip: ctx.ip })
        await sendLinkMail(services, tx, user, 'confirmation', link)
        return
      }
      if (!user.email_change) return
      reference()
      // As `updateUser`: the current address confirms too only when it is itself confirmed.
      const secure = services.options.secureEmailChange && Boolean(user.email && user.email_confirmed_at)
      await sendEmailChange(services, tx, user, user.email_change, link, secure)
    }),
  )
}
