import type { Transaction } from '@groundwork/core'
import type { RouteContext, RouteHandler } from '../context'
import { AuthError } from '../errors'
import { json } from '../http'
import type { User } from '../users'
import { parsePkceParams } from './pkce'
import { emailParam, objectParam, redirectParam } from './request-params'
import { sendConfirmation, sendMagicLink } from './send'

/**
 * `POST /otp` (auth-js `signInWithOtp`) and the older `POST /magiclink` (GoTrue's `otp.go`,
 * `magic_link.go`): mails a magic link with a 6-digit code. A new address gets an account first
 * (unless `create_user: false`) and the sign-up confirmation mail, whose link and code sign in
 * just the same; an unconfirmed account gets the confirmation again.
 *
 * Anti-enumeration: the answer is `200 {}` whether or not the address has an account, also with
 * `create_user: false` and with sign-ups disabled (GoTrue answers 422 `otp_disabled` there, which
 * tells an unknown address from a known one).
 */
export const otp: RouteHandler = async (ctx) => {
  const { body, services } = ctx
  const phone = typeof body.phone === 'string' ? body.phone : ''
  const rawEmail = typeof body.email === 'string' ? body.email : ''
  if (rawEmail !== '' && phone !== '') {
    throw new AuthError('validation_failed', 'Only an email address or phone number should be provided', {
      status: 400,
    })
  }
  if (phone !== '')
    throw new AuthError('phone_provider_disabled', 'Unsupported phone provider', { status: 400 })
  if (rawEmail === '')
    throw new AuthError('validation_failed', 'One of email or phone must be set', { status: 400 })
  const email = emailParam(rawEmail, 'One of email or phone must be set')
  const createUser = body.create_user === undefined ? true : body.create_user !== false
  const data = objectParam(body.data, 'data')
  const pkce = parsePkceParams(body)
  const redirectTo = redirectParam(ctx)
  await services.rateLimit(`otp:ip:${ctx.ip}`, services.options.rateLimits.otp)

  await services.transact(async (tx) => {
    let user = await services.users.findByEmail(tx, email, { forUpdate: true })
    if (!user) {
      if (!createUser || services.options.disableSignup) return
      user = await createPasswordlessUser(ctx, tx, email, data)
      if (!services.options.mailerAutoconfirm) {
        await services.audit(tx, 'user_confirmation_requested', user, { ip: ctx.ip })
        await sendConfirmation(services, tx, user, { redirectTo, pkce })
        return
      }
    } else if (!user.email_confirmed_at && !services.options.mailerAutoconfirm) {
      await services.audit(tx, 'user_confirmation_requested', user, { ip: ctx.ip })
      await sendConfirmation(services, tx, user, { redirectTo, pkce })
      return
    }
    await services.audit(tx, 'user_recovery_requested', user, { ip: ctx.ip })
    await sendMagicLink(services, tx, user, { redirectTo, pkce })
  })
  return json({})
}

/** A passwordless account for a new OTP address, through the same sign-up hooks as `/signup`. */
async function createPasswordlessUser(
  ctx: RouteContext,
  tx: Transaction,
  email: string,
  data: Record<string, unknown>,
): Promise<User> {
  const { services } = ctx
  const hooks = services.options.hooks
  let userMetadata = data
  let appMetadata: Record<string, unknown> | undefined
  if (hooks.beforeSignUp) {
    const result = await hooks.beforeSignUp({
      email,
      phone: null,
      userMetadata: { ...data },
      isAnonymous: false,
      request: ctx.request,
    })
    if (result?.userMetadata) userMetadata = result.userMetadata
    if (result?.appMetadata) appMetadata = result.appMetadata
  }
  const user = await services.users.create(tx, {
    email,
    userMetadata,
    ...(appMetadata ? { appMetadata } : {}),
    emailConfirmed: services.options.mailerAutoconfirm,
  })
  await hooks.afterSignUp?.({ user, tx })
  return user
}
