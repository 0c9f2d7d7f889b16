import type { RouteHandler } from '../context'
import { AuthError } from '../errors'
import { emailParam, redirectParam } from '../flows/request-params'
import { sendInvite } from '../flows/send'
import { json } from '../http'
import { toUserJson, type User } from '../users'
import { metadataParam } from './params'
import { adminActor } from './users'

/**
 * `POST /invite` (auth-js `admin.inviteUserByEmail`, GoTrue's `invite.go`), service_role only:
 * creates the account (or reuses an unconfirmed one) and mails the `invite` template; following
 * the link (`/verify?type=invite`) confirms the address and signs the user in, who then sets a
 * password with `updateUser`. 422 `email_exists` for a confirmed account.
 */
export const invite: RouteHandler = async (ctx) => {
  const claims = await ctx.requireAdmin()
  const { body, services } = ctx
  const email = emailParam(body.email, 'An email address is required')
  const data = metadataParam(body.data, 'data')
  const redirectTo = redirectParam(ctx)
  const user = await services.transact(async (tx) => {
    let user = await services.users.findByEmail(tx, email, { forUpdate: true })
    if (user?.email_confirmed_at) {
      throw new AuthError('email_exists', 'A user with this email address has already been registered', {
        status: 422,
      })
    }
    if (!user) {
      user = await services.users.create(tx, {
        email,
        ...(data ? { userMetadata: data } : {}),
        invitedAt: new Date(),
      })
    } else if (data) {
      await services.users.updateUserMetadata(tx, user.id, data)
      user = (await services.users.findById(tx, user.id)) as User
    }
    await services.audit(tx, 'user_invited', adminActor(claims), {
      ip: ctx.ip,
      traits: { user_id: user.id, user_email: user.email ?? '' },
    })
    await sendInvite(services, tx, user, { redirectTo })
    return (await services.users.findById(tx, user.id)) as User
  })
  return json(toUserJson(user))
}
