import type { Transaction } from '@groundwork/core'
import type { AuthCallContext } from '../api/context'
import { AuthError } from '../errors'
import { completeEmailChange } from '../flows/email-change'
import { deleteOneTimeTokens, findReauthenticationToken } from '../flows/one-time-tokens'
import { parsePkce } from '../flows/pkce'
import { sendEmailChange } from '../flows/send'
import type { AuthServices } from '../services'
import type { SessionRow } from '../sessions/types'
import { toUser, type User } from '../users/json'
import type { UserRecord } from '../users/record'
import { assertSingleScript, isValidEmail, normalizeEmail } from '../users/validation'

/** What a user may change about themselves (auth-js' `UserAttributes`). */
export interface UserAttributes {
  /** A new address: confirmed by mail (see `secureEmailChange`) before it applies. */
  email?: string
  /** Phone changes are refused (422 `phone_provider_disabled`): no SMS provider. */
  phone?: string
  /** A new password (policy-checked; the user's other sessions end). */
  password?: string
  /** The code mailed by `reauthenticate`, for a password change with `securePasswordChange`. */
  nonce?: string
  /** Merged into `user_metadata`; keys set to `null` are removed. */
  data?: Record<string, unknown> | null
  /** Where the email-change links land (must pass the allow-list; else `siteUrl`). */
  redirectTo?: string
  /** PKCE for the email-change links. */
  codeChallenge?: string
  codeChallengeMethod?: string
  /** Not for users: any value is 403 `not_admin` (admins use `admin.updateUserById`). */
  appMetadata?: never
}

/**
 * GoTrue's `PUT /user`: metadata, password (other sessions end), email (a confirmation mail to the
 * new address — and to the current one with `secureEmailChange` — confirmed by
 * `verifyOtp({ type: 'email_change' })`; applied at once for anonymous users with
 * `mailerAutoconfirm`, as GoTrue).
 */
export async function updateUser(
  services: AuthServices,
  accessToken: string,
  attributes: UserAttributes,
  ctx: AuthCallContext,
): Promise<User> {
  const { options } = services
  const { user, session } = await services.tokens.accountUser(accessToken)
  const { data, password, nonce } = attributes
  if (data !== undefined && data !== null && (typeof data !== 'object' || Array.isArray(data))) {
    throw new AuthError('validation_failed', 'data must be an object', { status: 400 })
  }
  const rawEmail = typeof attributes.email === 'string' ? attributes.email.trim() : undefined
  const phone = attributes.phone
  if (typeof phone === 'string' && phone !== '' && phone !== user.phone) {
    throw new AuthError('phone_provider_disabled', 'Phone logins are disabled', { status: 422 })
  }
  if (attributes.appMetadata !== undefined && attributes.appMetadata !== null) {
    throw new AuthError('not_admin', 'Updating app_metadata requires admin privileges', { status: 403 })
  }
  const newPassword = typeof password === 'string' ? password : undefined
  if (user.is_anonymous && newPassword && !rawEmail) {
    throw new AuthError(
      'validation_failed',
      'Updating password of an anonymous user without an email or phone is not allowed',
      { status: 422 },
    )
  }
  let passwordHash: string | null = null
  if (newPassword !== undefined) {
    services.passwords.checkPolicy(newPassword)
    if (
      options.securePasswordChange &&
      (!session || session.created_at.getTime() < Date.now() - 24 * 3600 * 1000)
    ) {
      await checkNonce(services, user, nonce)
    }
    const same = await services.passwords.verify(newPassword, user.encrypted_password)
    if (same.valid) {
      throw new AuthError('same_password', 'New password should be different from the old password.', {
        status: 422,
      })
    }
    passwordHash = await services.passwords.hash(newPassword)
  }
  let newEmail: string | null = null
  if (rawEmail !== undefined && rawEmail !== '') {
    const normalized = normalizeEmail(rawEmail)
    if (!isValidEmail(normalized)) {
      throw new AuthError('email_address_invalid', 'Unable to validate email address: invalid format', {
        status: 400,
      })
    }
    if (normalized !== user.email) {
      assertSingleScript(normalized)
      newEmail = normalized
    }
  }
  const redirectTo = services.redirects.resolve(attributes.redirectTo)
  const pkce = newEmail ? parsePkce(attributes) : null
  const metadata = data ? (data as Record<string, unknown>) : null

  const updated = await services.transact(async (tx) => {
    if (metadata) await services.users.updateUserMetadata(tx, user.id, metadata)
    if (passwordHash) await changePassword(services, tx, user, passwordHash, session, ctx)
    if (newEmail) {
      const taken = await services.users.findByEmail(tx, newEmail)
      if (taken && taken.id !== user.id) {
        throw new AuthError('email_exists', 'A user with this email address has already been registered', {
          status: 422,
        })
      }
      if (user.is_anonymous && options.mailerAutoconfirm) {
        // GoTrue: an anonymous user adding an email is like a sign-up; permanent users always confirm.
        await services.users.update(tx, user.id, { email_change: newEmail })
        await completeEmailChange(services, tx, user.id)
      } else {
        const current = await services.users.findById(tx, user.id, { forUpdate: true })
        if (!current) throw new AuthError('user_not_found', 'User not found', { status: 404 })
        const secure = options.secureEmailChange && Boolean(current.email && current.email_confirmed_at)
        await sendEmailChange(services, tx, current, newEmail, { redirectTo, pkce }, secure)
      }
    }
    if (metadata || passwordHash || newEmail) await services.audit(tx, 'user_modified', user, { ip: ctx.ip })
    return services.users.findById(tx, user.id)
  })
  if (!updated) throw new AuthError('user_not_found', 'User not found', { status: 404 })
  return toUser(updated)
}

/** Stores the new hash; pending one-time tokens and every other session end, as in GoTrue. */
async function changePassword(
  services: AuthServices,
  tx: Transaction,
  user: UserRecord,
  passwordHash: string,
  session: SessionRow | null,
  ctx: AuthCallContext,
): Promise<void> {
  await services.users.updatePassword(tx, user.id, passwordHash)
  await deleteOneTimeTokens(tx, user.id)
  await services.sessions.revokeAllExcept(tx, user.id, session?.id ?? null)
  await services.audit(tx, 'user_updated_password', user, { ip: ctx.ip })
}

/**
 * GoTrue's `verifyReauthentication`: the `nonce` must be the live reauthentication code mailed by
 * `reauthenticate` (it is deleted with the password change).
 */
async function checkNonce(services: AuthServices, user: UserRecord, nonce: unknown): Promise<void> {
  if (typeof nonce !== 'string' || nonce === '') {
    throw new AuthError('reauthentication_needed', 'Password update requires reauthentication', {
      status: 400,
    })
  }
  const token = user.email ? await findReauthenticationToken(services.db, user.email, nonce) : null
  const expired =
    !token ||
    token.user_id !== user.id ||
    token.created_at.getTime() + services.options.otpExpiresIn * 1000 < Date.now()
  if (expired) throw new AuthError('reauthentication_not_valid', 'Requires reauthentication', { status: 422 })
}
