import type { AuthCallContext } from '../api/context'
import { AuthError } from '../errors'
import type { AuthServices } from '../services'
import type { Session } from '../sessions/types'
import type { User } from '../users/json'
import type { WeakPassword } from '../users/passwords'
import { isBanned } from '../users/record'
import { normalizeEmail, stringParam } from '../users/validation'

/** Input of `auth.api.signInWithPassword`. */
export interface SignInWithPasswordInput {
  email?: string
  /** Phone sign-ins are refused (400 `phone_provider_disabled`): no SMS provider. */
  phone?: string
  password: string
}

/** A password sign-in: the session, and `weakPassword` when the password no longer meets the policy. */
export interface SignInWithPasswordResult {
  user: User
  session: Session
  /** GoTrue's `weak_password` (auth-js' `weakPassword`): ask the user for a new password. */
  weakPassword?: WeakPassword
}

const INVALID_LOGIN = 'Invalid login credentials'

/**
 * GoTrue's `grant_type=password`: verifies the password (scrypt, or an imported bcrypt hash that is
 * then upgraded to scrypt in the same transaction) and issues a session. Unknown accounts cost the
 * same hashing time as wrong passwords and get the same answer.
 */
export async function signInWithPassword(
  services: AuthServices,
  input: SignInWithPasswordInput,
  ctx: AuthCallContext,
): Promise<SignInWithPasswordResult> {
  const limits = services.options.rateLimits
  const email = typeof input.email === 'string' ? normalizeEmail(input.email) : ''
  const phone = stringParam(input.phone).trim()
  const password = stringParam(input.password)
  await services.rateLimit(`signin:ip:${ctx.ip ?? ''}`, limits.signIn)
  if (email !== '' && phone !== '') {
    throw new AuthError(
      'validation_failed',
      'Only an email address or phone number should be provided on login.',
      {
        status: 422,
      },
    )
  }
  if (email === '' && phone === '')
    throw new AuthError('validation_failed', 'missing email or phone', { status: 400 })
  if (phone !== '')
    throw new AuthError('phone_provider_disabled', 'Phone logins are disabled', { status: 400 })
  // Per client address *and* account: failures from one address never lock the account out for
  // the others (a stranger could otherwise keep anyone out with ten wrong passwords). Spread over
  // many addresses, guessing meets each address's own `signIn` limit. Without a known address
  // (in-process calls, no `clientIp`) this is per account, which still stops guessing.
  // (The address is encoded: IPv6 addresses and emails both hold `:`, so keys stay unambiguous.)
  const client = encodeURIComponent(ctx.ip ?? '')
  await services.rateLimit(`signin:ip-email:${client}:${email}`, limits.signInPerEmail)

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
  const weakPassword = services.passwords.weakness(password)

  const session = await services.transact(async (tx) => {
    if (rehashed) await services.users.updatePassword(tx, user.id, rehashed)
    await services.audit(tx, 'login', user, { ip: ctx.ip, traits: { provider: 'email' } })
    return services.sessions.issue(tx, user, { amr: 'password', ip: ctx.ip, userAgent: ctx.userAgent })
  })
  return { user: session.user, session, ...(weakPassword ? { weakPassword } : {}) }
}
