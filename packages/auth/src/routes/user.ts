import type { Route, RouteContext } from '../context'
import { AuthError } from '../errors'
import { completeEmailChange } from '../flows/email-change'
import { parsePkceParams } from '../flows/pkce'
import { sendEmailChange } from '../flows/send'
import { json } from '../http'
import { isValidEmail, normalizeEmail, toUserJson, type User } from '../users'

/** `GET /user`: the signed-in user. */
export const getUserRoute: Route = {
  method: 'GET',
  path: '/user',
  async handler(ctx) {
    const { user } = await ctx.requireUser()
    return json(toUserJson(user))
  },
}

/**
 * `PUT /user`: metadata (`data`, keys set to null are removed), password (policy-checked; other
 * sessions end, as in GoTrue), email (a confirmation mail to the new address — and to the
 * current one with `secureEmailChange` — confirmed by `/verify?type=email_change`; applied at
 * once for anonymous users with `mailerAutoconfirm`, as GoTrue). `app_metadata` needs an admin
 * token; with `securePasswordChange`, a password change in a session older than 24 h needs the
 * `nonce` mailed by `GET /reauthenticate`.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/user.go
 */
export const updateUserRoute: Route = {
  method: 'PUT',
  path: '/user',
  async handler(ctx) {
    const { services, body } = ctx
    const { options } = services
    const { user, session } = await ctx.requireUser()
    const data = body.data
    if (data !== undefined && data !== null && (typeof data !== 'object' || Array.isArray(data))) {
      throw new AuthError('validation_failed', 'data must be an object', { status: 400 })
    }
    const password = typeof body.password === 'string' ? body.password : undefined
    const rawEmail = typeof body.email === 'string' ? body.email.trim() : undefined
    if (typeof body.phone === 'string' && body.phone !== '' && body.phone !== user.phone) {
      throw new AuthError('phone_provider_disabled', 'Phone logins are disabled', { status: 422 })
    }
    if (body.app_metadata !== undefined && body.app_metadata !== null) {
      throw new AuthError('not_admin', 'Updating app_metadata requires admin privileges', { status: 403 })
    }
    if (user.is_anonymous && password && !rawEmail) {
      throw new AuthError(
        'validation_failed',
        'Updating password of an anonymous user without an email or phone is not allowed',
        { status: 422 },
      )
    }
    let passwordHash: string | null = null
    let reauthenticationToken: string | null = null
    if (password !== undefined) {
      services.passwords.checkPolicy(password)
      if (
        options.securePasswordChange &&
        (!session || session.created_at.getTime() < Date.now() - 24 * 3600 * 1000)
      ) {
        reauthenticationToken = await checkNonce(ctx, user, body.nonce)
      }
      const same = await services.passwords.verify(password, user.encrypted_password)
      if (same.valid) {
        throw new AuthError('same_password', 'New password should be different from the old password.', {
          status: 422,
        })
      }
      passwordHash = await services.passwords.hash(password)
    }
    let newEmail: string | null = null
    if (rawEmail !== undefined && rawEmail !== '') {
      if (!isValidEmail(rawEmail)) {
        throw new AuthError('email_address_invalid', 'Unable to validate email address: invalid format', {
          status: 400,
        })
      }
      const normalized = normalizeEmail(rawEmail)
      if (normalized !== user.email) newEmail = normalized
    }
    const redirectTo = services.redirects.resolve(ctx.query.get('redirect_to') ?? body.redirect_to)
    const pkce = newEmail ? parsePkceParams(body) : null

    const updated = await services.transact(async (tx) => {
      if (data) await services.users.updateUserMetadata(tx, user.id, data as Record<string, unknown>)
      if (passwordHash) {
        if (reauthenticationToken) await services.oneTimeTokens.consume(tx, reauthenticationToken)
        await services.users.updatePassword(tx, user.id, passwordHash)
        await services.oneTimeTokens.clearForUser(tx, user.id)
        await services.sessions.revokeAllExcept(tx, user.id, session?.id ?? null)
        await services.audit(tx, 'user_updated_password', user, { ip: ctx.ip })
      }
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
      if (data || passwordHash || newEmail) await services.audit(tx, 'user_modified', user, { ip: ctx.ip })
      return services.users.findById(tx, user.id)
    })
    if (!updated) throw new AuthError('user_not_found', 'User not found', { status: 404 })
    return json(toUserJson(updated))
  },
}

/**
 * GoTrue's `verifyReauthentication`: the `nonce` must be the live reauthentication code mailed by
 * `GET /reauthenticate`. Returns the token's id, consumed with the password change.
 */
async function checkNonce(ctx: RouteContext, user: User, nonce: unknown): Promise<string> {
  const { services } = ctx
  if (typeof nonce !== 'string' || nonce === '') {
    throw new AuthError('reauthentication_needed', 'Password update requires reauthentication', {
      status: 400,
    })
  }
  const token = user.email
    ? await services.oneTimeTokens.findByOtp(services.db, user.email, nonce, ['reauthentication_token'])
    : null
  const expired =
    !token ||
    token.user_id !== user.id ||
    token.created_at.getTime() + services.options.otpExpiresIn * 1000 < Date.now()
  if (expired) throw new AuthError('reauthentication_not_valid', 'Requires reauthentication', { status: 422 })
  return token.id
}
