import type { Transaction } from '@groundwork/core'
import type { AuthCallContext } from '../api/context'
import { AuthError } from '../errors'
import type { AuthServices } from '../services'
import type { Session } from '../sessions/types'
import type { User } from '../users/json'
import { isBanned, type UserRecord } from '../users/record'
import { isValidEmail, normalizeEmail, stringParam } from '../users/validation'
import { completeEmailChange, SINGLE_CONFIRMATION_MESSAGE } from './email-change'
import {
  consumeOneTimeToken,
  type EmailVerifyType,
  isEmailVerifyType,
  linkTokenKey,
  PKCE_PREFIX,
  VERIFY_TYPES,
} from './one-time-tokens'
import { authenticationMethodFor, issueAuthCode } from './pkce'

/**
 * Verification of emailed codes and links (GoTrue's `internal/api/verify.go`) for the email types:
 * `signup`, `invite`, `magiclink`, `recovery`, `email_change` and `email` (a sign-up confirmation
 * or a magic link, whichever the code belongs to).
 */

/** Input of `auth.api.verifyOtp`: the emailed code with its address, or the link token. */
export interface VerifyOtpInput {
  type: EmailVerifyType
  /** With `token`: the address the code was sent to. */
  email?: string
  /** The code from the mail. */
  token?: string
  /** Instead of `email` + `token`: the link token (`{{ .TokenHash }}`, `generateLink`'s `hashed_token`). */
  token_hash?: string
  /** Refused (400 `phone_provider_disabled`): no SMS provider. */
  phone?: string
  /** Refused with `token_hash`, as GoTrue does (the link carries its own). */
  redirectTo?: string
}

/** What `verifyOtp` answers: a session, or — first of two secure email-change confirmations — a message. */
export type VerifyOtpResult =
  | { user: User; session: Session }
  | { user: null; session: null; message: string }

/** What `verifyLink` answers: a session, a PKCE auth code (`pkce_` links), or a message. */
export type VerifyLinkResult =
  | { kind: 'session'; user: User; session: Session }
  | { kind: 'code'; code: string }
  | { kind: 'message'; message: string }

async function verifyToken(
  services: AuthServices,
  tx: Transaction,
  input: { type: EmailVerifyType; pkceLink: boolean } & (
    | { tokenHash: string }
    | { email: string; otp: string }
  ),
  ctx: AuthCallContext,
): Promise<VerifyLinkResult> {
  const consumed = await consumeOneTimeToken(tx, {
    types: VERIFY_TYPES[input.type],
    expiresIn: services.options.otpExpiresIn,
    key: linkTokenKey(services.options.jwt),
    ...('tokenHash' in input ? { tokenHash: input.tokenHash } : { address: input.email, otp: input.otp }),
  })
  let user = await services.users.findById(tx, consumed.userId, { forUpdate: true })
  if (!user || user.deleted_at) {
    throw new AuthError('otp_expired', 'Email link is invalid or has expired', { status: 403 })
  }
  if (isBanned(user)) throw new AuthError('user_banned', 'User is banned', { status: 403 })
  // `email` resolves to what the token was issued for (GoTrue rewrites params.Type likewise).
  const type: Exclude<EmailVerifyType, 'email'> =
    input.type === 'email' ? (consumed.type === 'confirmation_token' ? 'signup' : 'magiclink') : input.type
  const ip = { ip: ctx.ip }
  switch (type) {
    case 'signup':
    case 'invite':
      if (!user.email_confirmed_at) user = await services.users.confirmEmail(tx, user.id)
      await services.audit(tx, 'user_signedup', user, ip)
      break
    case 'magiclink':
    case 'recovery':
      if (!user.email_confirmed_at) {
        user = await services.users.confirmEmail(tx, user.id)
        await services.audit(tx, 'user_signedup', user, ip)
      } else {
        await services.audit(tx, 'login', user, ip)
      }
      break
    case 'email_change': {
      // Secure email change: the first of the two links only records its confirmation.
      const other =
        consumed.type === 'email_change_token_new' ? 'email_change_token_current' : 'email_change_token_new'
      const { rowCount } = await tx.query(
        'select 1 from auth.one_time_tokens where user_id = $1 and token_type = $2',
        [user.id, other],
      )
      if (rowCount) {
        await services.users.update(tx, user.id, { email_change_confirm_status: 1 })
        return { kind: 'message', message: SINGLE_CONFIRMATION_MESSAGE }
      }
      user = await completeEmailChange(services, tx, user.id)
      await services.audit(tx, 'user_modified', user, ip)
      break
    }
  }
  if (input.pkceLink) {
    return { kind: 'code', code: await issueAuthCode(tx, user.id, authenticationMethodFor(type)) }
  }
  const fresh = (await services.users.findById(tx, user.id)) as UserRecord
  const session = await services.sessions.issue(tx, fresh, {
    amr: 'otp',
    ip: ctx.ip,
    userAgent: ctx.userAgent,
  })
  return { kind: 'session', user: session.user, session }
}

function requireEmailType(type: string): EmailVerifyType {
  if (type === 'sms' || type === 'phone_change') {
    throw new AuthError('phone_provider_disabled', 'Unsupported phone provider', { status: 400 })
  }
  if (!isEmailVerifyType(type))
    throw new AuthError('validation_failed', 'Unsupported verification type', { status: 400 })
  return type
}

/** GoTrue's `POST /verify`: a code (`email` + `token`) or a link token (`token_hash`). */
export async function verifyOtp(
  services: AuthServices,
  input: VerifyOtpInput,
  ctx: AuthCallContext,
): Promise<VerifyOtpResult> {
  const type = stringParam(input.type)
  const token = stringParam(input.token)
  const tokenHash = stringParam(input.token_hash)
  if (type === '')
    throw new AuthError('validation_failed', 'Verify requires a verification type', { status: 400 })
  if ((token === '') === (tokenHash === '')) {
    throw new AuthError('validation_failed', 'Verify requires either a token or a token hash', {
      status: 400,
    })
  }
  const phone = stringParam(input.phone)
  const email = stringParam(input.email)
  let credential: { tokenHash: string } | { email: string; otp: string }
  if (token !== '') {
    if (phone !== '' && email === '') {
      throw new AuthError('phone_provider_disabled', 'Unsupported phone provider', { status: 400 })
    }
    if (email === '' || phone !== '') {
      throw new AuthError(
        'validation_failed',
        'Only an email address or phone number should be provided on verify',
        {
          status: 400,
        },
      )
    }
    if (!isValidEmail(normalizeEmail(email))) {
      throw new AuthError('validation_failed', 'Invalid email format', { status: 422 })
    }
    credential = { email: normalizeEmail(email), otp: token }
  } else {
    if (email !== '' || phone !== '' || stringParam(input.redirectTo) !== '') {
      throw new AuthError('validation_failed', 'Only the token_hash and type should be provided', {
        status: 400,
      })
    }
    credential = { tokenHash }
  }
  const verifyType = requireEmailType(type)
  const limit = services.options.rateLimits.verify
  await services.rateLimit(`verify:ip:${ctx.ip ?? ''}`, limit)
  // Codes are 6 digits: the per-address limit stops guessing spread over many IPs.
  if ('email' in credential) await services.rateLimit(`verify:email:${credential.email}`, limit)
  const outcome = await services.transact((tx) =>
    verifyToken(services, tx, { type: verifyType, pkceLink: false, ...credential }, ctx),
  )
  if (outcome.kind === 'message') return { user: null, session: null, message: outcome.message }
  if (outcome.kind === 'code') throw new Error('unreachable: a POST /verify issues no PKCE code')
  return { user: outcome.user, session: outcome.session }
}

/**
 * GoTrue's `GET /verify`: the link in the mail (`token` is the link token). A `pkce_` link answers
 * an auth code for `exchangeCodeForSession`; any other a session.
 */
export async function verifyLink(
  services: AuthServices,
  input: { type: EmailVerifyType; token: string },
  ctx: AuthCallContext,
): Promise<VerifyLinkResult> {
  const type = stringParam(input.type)
  const token = stringParam(input.token)
  if (type === '')
    throw new AuthError('validation_failed', 'Verify requires a verification type', { status: 400 })
  if (token === '')
    throw new AuthError('validation_failed', 'Verify requires a token or a token hash', { status: 400 })
  await services.rateLimit(`verify:ip:${ctx.ip ?? ''}`, services.options.rateLimits.verify)
  const verifyType = requireEmailType(type)
  return services.transact((tx) =>
    verifyToken(
      services,
      tx,
      { type: verifyType, pkceLink: token.startsWith(PKCE_PREFIX), tokenHash: token },
      ctx,
    ),
  )
}
