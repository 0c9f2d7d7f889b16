import type { Transaction } from '@groundwork/core'
import type { RouteContext, RouteHandler } from '../context'
import { AuthError } from '../errors'
import { json, redirect } from '../http'
import type { SessionResponse } from '../sessions'
import { isBanned, isValidEmail, normalizeEmail, type User } from '../users'
import { completeEmailChange, SINGLE_CONFIRMATION_MESSAGE } from './email-change'
import {
  consumeOneTimeToken,
  type EmailVerifyType,
  isEmailVerifyType,
  linkTokenKey,
  PKCE_PREFIX,
  VERIFY_TYPES,
} from './email-tokens'
import { authenticationMethodFor, issueAuthCode } from './pkce'
import { redirectParam } from './request-params'

/**
 * `POST /verify` and `GET /verify` (GoTrue's `internal/api/verify.go`) for the email types:
 * `signup`, `invite`, `magiclink`, `recovery`, `email_change` and `email` (a sign-up confirmation or
 * a magic link, whichever the code belongs to).
 *
 * - POST `{ type, token, email }` or `{ type, token_hash }` → the session JSON.
 * - GET `?token=&type=&redirect_to=` (the mailed link) → `303` to `redirect_to` with the session in
 *   the fragment (`#access_token=…&expires_at=…&expires_in=…&refresh_token=…&token_type=bearer&type=…`),
 *   or `?code=` when the link belongs to a PKCE flow; failures redirect with
 *   `#error=…&error_code=…&error_description=…` (also in the query for PKCE).
 */

/** What a successful verification produced. */
type Outcome =
  | { kind: 'session'; session: SessionResponse }
  | { kind: 'code'; code: string }
  | { kind: 'single-confirmation' }

/** GoTrue's `oauthErrorMap`: the OAuth `error` of an error redirect, by status. */
const OAUTH_ERROR: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized_client',
  403: 'access_denied',
  500: 'server_error',
  503: 'temporarily_unavailable',
}

async function verify(
  ctx: RouteContext,
  tx: Transaction,
  input: { type: EmailVerifyType; pkceLink: boolean } & (
    | { tokenHash: string }
    | { email: string; otp: string }
  ),
): Promise<Outcome> {
  const { services } = ctx
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

  switch (type) {
    case 'signup':
    case 'invite':
      if (!user.email_confirmed_at) user = await services.users.confirmEmail(tx, user.id)
      await services.audit(tx, 'user_signedup', user, { ip: ctx.ip })
      break
    case 'magiclink':
    case 'recovery':
      if (!user.email_confirmed_at) {
        user = await services.users.confirmEmail(tx, user.id)
        await services.audit(tx, 'user_signedup', user, { ip: ctx.ip })
      } else {
        await services.audit(tx, 'login', user, { ip: ctx.ip })
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
        return { kind: 'single-confirmation' }
      }
      user = await completeEmailChange(services, tx, user.id)
      await services.audit(tx, 'user_modified', user, { ip: ctx.ip })
      break
    }
  }

  if (input.pkceLink) {
    return { kind: 'code', code: await issueAuthCode(tx, user.id, authenticationMethodFor(type)) }
  }
  const fresh = (await services.users.findById(tx, user.id)) as User
  const session = await services.issueSession(tx, fresh, {
    amr: 'otp',
    ip: ctx.ip,
    userAgent: ctx.userAgent,
  })
  return { kind: 'session', session }
}

function stringParam(value: unknown): string {
  return typeof value === 'string' ? value : ''
}

function requireEmailType(type: string): EmailVerifyType {
  if (type === 'sms' || type === 'phone_change') {
    throw new AuthError('phone_provider_disabled', 'Unsupported phone provider', { status: 400 })
  }
  if (!isEmailVerifyType(type)) {
    throw new AuthError('validation_failed', 'Unsupported verification type', { status: 400 })
  }
  return type
}

/** `POST /verify`. */
export const verifyPost: RouteHandler = async (ctx) => {
  const { body, services } = ctx
  const type = stringParam(body.type)
  const token = stringParam(body.token)
  const tokenHash = stringParam(body.token_hash)
  if (type === '') {
    throw new AuthError('validation_failed', 'Verify requires a verification type', { status: 400 })
  }
  if ((token === '') === (tokenHash === '')) {
    throw new AuthError('validation_failed', 'Verify requires either a token or a token hash', {
      status: 400,
    })
  }
  const phone = stringParam(body.phone)
  const email = stringParam(body.email)
  let input: { tokenHash: string } | { email: string; otp: string }
  if (token !== '') {
    if (phone !== '' && email === '') {
      throw new AuthError('phone_provider_disabled', 'Unsupported phone provider', { status: 400 })
    }
    if (email === '' || phone !== '') {
      throw new AuthError(
        'validation_failed',
        'Only an email address or phone number should be provided on verify',
        { status: 400 },
      )
    }
    if (!isValidEmail(normalizeEmail(email))) {
      throw new AuthError('validation_failed', 'Invalid email format', { status: 422 })
    }
    input = { email: normalizeEmail(email), otp: token }
  } else {
    if (email !== '' || phone !== '' || stringParam(body.redirect_to) !== '') {
      throw new AuthError('validation_failed', 'Only the token_hash and type should be provided', {
        status: 400,
      })
    }
    input = { tokenHash }
  }
  const verifyType = requireEmailType(type)
  await services.rateLimit(`verify:ip:${ctx.ip}`, services.options.rateLimits.verify)
  // Codes are 6 digits: the per-address limit stops guessing spread over many IPs.
  if ('email' in input)
    await services.rateLimit(`verify:email:${input.email}`, services.options.rateLimits.verify)
  const outcome = await services.transact((tx) =>
    verify(ctx, tx, { type: verifyType, pkceLink: false, ...input }),
  )
  if (outcome.kind === 'single-confirmation') {
    return json({ msg: SINGLE_CONFIRMATION_MESSAGE, code: '200' })
  }
  return json((outcome as { session: SessionResponse }).session)
}

/** `GET /verify`: the link in the mail. */
export const verifyGet: RouteHandler = async (ctx) => {
  const { query, services } = ctx
  const type = query.get('type') ?? ''
  const token = query.get('token') ?? ''
  if (type === '') {
    throw new AuthError('validation_failed', 'Verify requires a verification type', { status: 400 })
  }
  if (token === '') {
    throw new AuthError('validation_failed', 'Verify requires a token or a token hash', { status: 400 })
  }
  const redirectTo = redirectParam(ctx)
  const pkceLink = token.startsWith(PKCE_PREFIX)
  await services.rateLimit(`verify:ip:${ctx.ip}`, services.options.rateLimits.verify)
  let outcome: Outcome
  try {
    const verifyType = requireEmailType(type)
    outcome = await services.transact((tx) =>
      verify(ctx, tx, { type: verifyType, pkceLink, tokenHash: token }),
    )
  } catch (error) {
    if (error instanceof AuthError && error.status < 500)
      return redirect(errorRedirect(redirectTo, error, pkceLink))
    throw error
  }
  if (outcome.kind === 'single-confirmation') {
    return redirect(messageRedirect(redirectTo, SINGLE_CONFIRMATION_MESSAGE, pkceLink))
  }
  if (outcome.kind === 'code') {
    const url = new URL(redirectTo)
    url.searchParams.set('code', outcome.code)
    return redirect(url.toString())
  }
  const { session } = outcome
  const fragment = new URLSearchParams({
    access_token: session.access_token,
    expires_at: String(session.expires_at),
    expires_in: String(session.expires_in),
    refresh_token: session.refresh_token,
    token_type: session.token_type,
    type,
  })
  return redirect(`${redirectTo}#${fragment}`)
}

/** GoTrue's `prepErrorRedirectURL`: the error in the fragment (and in the query for PKCE). */
function errorRedirect(redirectTo: string, error: AuthError, pkce: boolean): string {
  const url = new URL(redirectTo)
  const params = new URLSearchParams()
  const oauth = OAUTH_ERROR[error.status]
  if (oauth) params.set('error', oauth)
  params.set('error_code', error.errorCode)
  params.set('error_description', error.message)
  if (pkce) for (const [name, value] of params) url.searchParams.set(name, value)
  url.hash = params.toString()
  return url.toString()
}

/** GoTrue's `prepRedirectURL`: an informational message (first of two email-change confirmations). */
function messageRedirect(redirectTo: string, message: string, pkce: boolean): string {
  const url = new URL(redirectTo)
  if (pkce) url.searchParams.set('message', message)
  url.hash = new URLSearchParams({ message }).toString()
  return url.toString()
}
