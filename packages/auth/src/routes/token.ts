import type { Route, RouteContext } from '../context'
import { AuthError, OAuthError } from '../errors'
import { flowGrants } from '../flows/index'
import { json } from '../http'
import { isBanned, normalizeEmail } from '../users'

const INVALID_LOGIN = 'Invalid login credentials'

/**
 * `grant_type=password`: verifies the password (scrypt, or an imported bcrypt hash that is then
 * upgraded to scrypt in the same transaction) and issues a session. Unknown accounts cost the
 * same hashing time as wrong passwords and get the same answer.
 */
async function passwordGrant(ctx: RouteContext): Promise<Response> {
  const { services, body } = ctx
  const limits = services.options.rateLimits
  const email = typeof body.email === 'string' ? normalizeEmail(body.email) : ''
  const phone = typeof body.phone === 'string' ? body.phone.trim() : ''
  const password = typeof body.password === 'string' ? body.password : ''
  await services.rateLimit(`signin:ip:${ctx.ip}`, limits.signIn)
  if (email !== '' && phone !== '') {
    throw new AuthError(
      'validation_failed',
      'Only an email address or phone number should be provided on login.',
      { status: 422 },
    )
  }
  if (email === '' && phone === '')
    throw new AuthError('validation_failed', 'missing email or phone', { status: 400 })
  if (phone !== '')
    throw new AuthError('phone_provider_disabled', 'Phone logins are disabled', { status: 400 })
  await services.rateLimit(`signin:email:${email}`, limits.signInPerEmail)

  const user = await services.users.findByEmail(services.db, email)
  if (!user) {
    await services.passwords.verifyDummy(password)
    throw new AuthError('invalid_credentials', INVALID_LOGIN, { status: 400 })
  }
  const check = await services.passwords.verify(password, user.encrypted_password)
  if (!check.valid) throw new AuthError('invalid_credentials', INVALID_LOGIN, { status: 400 })
  if (isBanned(user)) throw new AuthError('user_banned', 'User is banned', { status: 400 })
  if (!user.email_confirmed_at)
    throw new AuthError('email_not_confirmed', 'Email not confirmed', { status: 400 })
  const rehashed = check.needsRehash ? await services.passwords.hash(password) : null
  const weak = weakPasswordOf(services, password)

  const session = await services.transact(async (tx) => {
    if (rehashed) await services.users.updatePassword(tx, user.id, rehashed)
    await services.audit(tx, 'login', user, { ip: ctx.ip, traits: { provider: 'email' } })
    return services.issueSession(tx, user, { amr: 'password', ip: ctx.ip, userAgent: ctx.userAgent })
  })
  return json(weak ? { ...session, weak_password: weak } : session)
}

/**
 * GoTrue answers a successful sign-in whose password no longer meets the policy with
 * `weak_password: { message, reasons }` next to the session (auth-js returns it as `weakPassword`),
 * so the app can ask for a new one.
 */
function weakPasswordOf(services: RouteContext['services'], password: string) {
  try {
    services.passwords.checkPolicy(password)
    return null
  } catch (error) {
    if (error instanceof AuthError && error.errorCode === 'weak_password') {
      const reasons = (error.extra?.weak_password as { reasons?: string[] } | undefined)?.reasons ?? []
      return { message: error.message, reasons }
    }
    // Over the length cap: not a policy "reason" GoTrue reports on sign-in; the password matched.
    return null
  }
}

/** `grant_type=refresh_token`: rotation with reuse detection (see `Sessions.refresh`). */
async function refreshTokenGrant(ctx: RouteContext): Promise<Response> {
  const { services, body } = ctx
  await services.rateLimit(`refresh:ip:${ctx.ip}`, services.options.rateLimits.tokenRefresh)
  const token = typeof body.refresh_token === 'string' ? body.refresh_token.trim() : ''
  if (token === '') throw new OAuthError('invalid_request', 'refresh_token required')
  // The token_refreshed audit entry is written by the rotation statement itself.
  const session = await services.transact((tx) =>
    services.sessions.refresh(tx, token, { ip: ctx.ip, userAgent: ctx.userAgent }),
  )
  return json(session)
}

/**
 * `POST /token?grant_type=password|refresh_token|pkce`. Grants the email flows implement (`pkce`)
 * come from `flowGrants`; an unknown grant is the OAuth error `unsupported_grant_type`.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/token.go
 */
export const tokenRoute: Route = {
  method: 'POST',
  path: '/token',
  async handler(ctx) {
    const grantType =
      ctx.query.get('grant_type') ?? (typeof ctx.body.grant_type === 'string' ? ctx.body.grant_type : '')
    if (grantType === 'password') return passwordGrant(ctx)
    if (grantType === 'refresh_token') return refreshTokenGrant(ctx)
    const grant = flowGrants[grantType]
    if (grant) return grant(ctx)
    throw new OAuthError('unsupported_grant_type', '')
  },
}
