import type { AuthCallContext } from '../api/context'
import { AuthError } from '../errors'
import { sendLinkMail } from '../flows/send'
import type { AuthServices } from '../services'
import { toUser, type User } from '../users/json'
import type { UserRecord } from '../users/record'
import { metadataParam, requireAccountEmail } from '../users/validation'

/** Options of `admin.inviteUserByEmail`. */
export interface InviteOptions {
  /** `user_metadata` of the invited account. */
  data?: Record<string, unknown>
  /** Where the invite link lands (must pass the allow-list; else `siteUrl`). */
  redirectTo?: string
}

/**
 * GoTrue's `POST /invite`: creates the account (or reuses an unconfirmed one) and mails the
 * `invite` template; following the link (`type=invite`) confirms the address and signs the user
 * in, who then sets a password with `updateUser`. 422 `email_exists` for a confirmed account.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/invite.go
 */
export async function inviteUserByEmail(
  services: AuthServices,
  email: string,
  options: InviteOptions,
  ctx: AuthCallContext,
): Promise<User> {
  const address = requireAccountEmail(email, 'An email address is required')
  const data = metadataParam(options.data, 'data')
  const redirectTo = services.redirects.resolve(options.redirectTo)
  const user = await services.transact(async (tx) => {
    let user = await services.users.findByEmail(tx, address, { forUpdate: true })
    if (user?.email_confirmed_at) {
      throw new AuthError('email_exists', 'A user with this email address has already been registered', {
        status: 422,
      })
    }
    if (!user) {
      user = await services.users.create(tx, {
        email: address,
        ...(data ? { userMetadata: data } : {}),
        invitedAt: new Date(),
      })
    } else if (data) {
      await services.users.updateUserMetadata(tx, user.id, data)
      user = (await services.users.findById(tx, user.id)) as UserRecord
    }
    await services.audit(tx, 'user_invited', ctx.actor ?? null, {
      ip: ctx.ip,
      traits: { user_id: user.id, user_email: user.email ?? '' },
    })
    await sendLinkMail(services, tx, user, 'invite', { redirectTo })
    return (await services.users.findById(tx, user.id)) as UserRecord
  })
  return toUser(user)
}
