import type { Transaction } from '@groundwork/core'
import type { AuthCallContext } from '../api/context'
import { AuthError } from '../errors'
import type { AuthServices } from '../services'
import type { UserRecord } from '../users/record'
import { assertSingleScript, metadataParam, requireEmail, stringParam } from '../users/validation'
import { parsePkce } from './pkce'
import { sendLinkMail } from './send'

/** Input of `auth.api.signInWithOtp`. */
export interface SignInWithOtpInput {
  email?: string
  /** Phone OTPs are refused (400 `phone_provider_disabled`): no SMS provider. */
  phone?: string
  /** Create the account for a new address. @default true */
  createUser?: boolean
  /** `user_metadata` of a new account. */
  data?: Record<string, unknown>
  /** Where the link lands (must pass the allow-list; else `siteUrl`). */
  redirectTo?: string
  /** PKCE: the link then answers `?code=` for `exchangeCodeForSession`. */
  codeChallenge?: string
  codeChallengeMethod?: string
}

/**
 * GoTrue's `POST /otp` (and the older `POST /magiclink`): mails a magic link with a code. A new
 * address gets an account first (unless `createUser: false`) and the sign-up confirmation mail,
 * whose link and code sign in just the same; an unconfirmed account gets the confirmation again.
 *
 * Anti-enumeration: nothing tells whether the address has an account, also with
 * `createUser: false` and with sign-ups disabled (GoTrue answers 422 `otp_disabled` there, which
 * tells an unknown address from a known one): the limits are counted per address before the
 * lookup (`countMailRequest`), and the lookup and what follows run in `services.uniform`. An
 * address that may get an account must not mix scripts (`assertSingleScript`), decided from the
 * request alone.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/otp.go
 */
export async function signInWithOtp(
  services: AuthServices,
  input: SignInWithOtpInput,
  ctx: AuthCallContext,
): Promise<void> {
  const phone = stringParam(input.phone)
  const rawEmail = stringParam(input.email)
  if (rawEmail !== '' && phone !== '') {
    throw new AuthError('validation_failed', 'Only an email address or phone number should be provided', {
      status: 400,
    })
  }
  if (phone !== '')
    throw new AuthError('phone_provider_disabled', 'Unsupported phone provider', { status: 400 })
  const email = requireEmail(rawEmail, 'One of email or phone must be set')
  const { options } = services
  const createUser = input.createUser !== false && !options.disableSignup
  if (createUser) assertSingleScript(email)
  const data = metadataParam(input.data, 'data') ?? {}
  const pkce = parsePkce(input)
  const redirectTo = services.redirects.resolve(input.redirectTo)
  await services.rateLimit(`otp:ip:${ctx.ip ?? ''}`, options.rateLimits.otp)
  await services.countMailRequest('recovery', email)
  const link = { redirectTo, pkce, counted: true }

  // The reference path: a new account when it may be created, else a mail to an existing one.
  await services.uniform.run(createUser ? 'otp:create' : 'otp', (reference) =>
    services.transact(async (tx) => {
      let user = await services.users.findByEmail(tx, email, { forUpdate: true })
      if (!user) {
        if (!createUser) return
        reference()
        user = await createPasswordlessUser(services, tx, email, data, ctx)
      } else if (!createUser) {
        reference()
      }
      if (!user.email_confirmed_at && !options.mailerAutoconfirm) {
        await services.audit(tx, 'user_confirmation_requested', user, { ip: ctx.ip })
        await sendLinkMail(services, tx, user, 'confirmation', link)
        return
      }
      await services.audit(tx, 'user_recovery_requested', user, { ip: ctx.ip })
      await sendLinkMail(services, tx, user, 'magiclink', link)
    }),
  )
}

/** A passwordless account for a new OTP address, through the same sign-up hooks as `signUp`. */
async function createPasswordlessUser(
  services: AuthServices,
  tx: Transaction,
  email: string,
  data: Record<string, unknown>,
  ctx: AuthCallContext,
): Promise<UserRecord> {
  const { hooks, mailerAutoconfirm } = services.options
  const hooked = await hooks.beforeSignUp?.({
    email,
    phone: null,
    userMetadata: { ...data },
    isAnonymous: false,
    ...(ctx.request ? { request: ctx.request } : {}),
  })
  const user = await services.users.create(tx, {
    email,
    userMetadata: hooked?.userMetadata ?? data,
    ...(hooked?.appMetadata ? { appMetadata: hooked.appMetadata } : {}),
    emailConfirmed: mailerAutoconfirm,
  })
  await hooks.afterSignUp?.({ user, tx })
  return user
}
