import type { Transaction } from '@groundwork/core'
import type { AuthCallContext } from '../api/context'
import { AuthError } from '../errors'
import type { AuthServices } from '../services'
import { toUser, type User } from '../users/json'
import type { UserRecord } from '../users/record'
import { metadataParam } from '../users/validation'
import { type AdminUserAttributes, adminAudit, setBan } from './attributes'
import { banDurationParam, optionalEmail, optionalPhone, optionalRole, userIdParam } from './params'

/**
 * GoTrue's `PUT /admin/users/{id}` (auth-js `admin.updateUserById`): address, confirmation,
 * password, metadata, role and ban; a changed address updates (or creates) its identity.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/admin.go
 */
export async function updateUserById(
  services: AuthServices,
  id: string,
  attributes: AdminUserAttributes,
  ctx: AuthCallContext,
): Promise<User> {
  const email = optionalEmail(attributes.email)
  const phone = optionalPhone(attributes.phone)
  const userMetadata = metadataParam(attributes.user_metadata, 'user_metadata')
  const appMetadata = metadataParam(attributes.app_metadata, 'app_metadata')
  const banMs = banDurationParam(attributes.ban_duration)
  const role = optionalRole(attributes.role, services.roles)
  let hash: string | undefined
  if (typeof attributes.password === 'string') {
    services.passwords.checkPolicy(attributes.password)
    hash = await services.passwords.hash(attributes.password)
  }
  const userId = userIdParam(id)
  const emailConfirm = attributes.email_confirm === true
  const phoneConfirm = attributes.phone_confirm === true

  const user = await services.transact(async (tx) => {
    const current = await services.users.findById(tx, userId, { forUpdate: true })
    if (!current) throw new AuthError('user_not_found', 'User not found', { status: 404 })
    if (role) await services.users.update(tx, current.id, { role })
    if (email && email !== current.email) {
      const taken = await services.users.findByEmail(tx, email)
      if (taken && taken.id !== current.id) {
        throw new AuthError('email_exists', 'A user with this email address has already been registered', {
          status: 422,
        })
      }
      await services.users.update(tx, current.id, { email, ...(emailConfirm ? { is_anonymous: false } : {}) })
      await upsertIdentity(tx, current, 'email', { email, email_verified: emailConfirm })
    }
    if (emailConfirm) await services.users.confirmEmail(tx, current.id)
    if (phone && phone !== current.phone) {
      await services.users.update(tx, current.id, { phone })
      await upsertIdentity(tx, current, 'phone', { phone, phone_verified: phoneConfirm })
    }
    if (phoneConfirm) {
      await tx.query(
        'update auth.users set phone_confirmed_at = coalesce(phone_confirmed_at, now()) where id = $1',
        [current.id],
      )
    }
    if (hash) await services.users.updatePassword(tx, current.id, hash)
    if (appMetadata) await services.users.updateAppMetadata(tx, current.id, appMetadata)
    if (userMetadata) await services.users.updateUserMetadata(tx, current.id, userMetadata)
    await setBan(tx, current.id, banMs)
    await services.audit(tx, 'user_modified', ctx.actor ?? null, adminAudit(current, ctx))
    return (await services.users.findById(tx, current.id)) as UserRecord
  })
  return toUser(user)
}

/** The `email`/`phone` identity after an admin changes the address (created when missing). */
async function upsertIdentity(
  tx: Transaction,
  user: UserRecord,
  provider: 'email' | 'phone',
  data: Record<string, unknown>,
): Promise<void> {
  const { rowCount } = await tx.query(
    `update auth.identities set identity_data = identity_data || $3::jsonb, updated_at = now()
      where user_id = $1 and provider = $2`,
    [user.id, provider, JSON.stringify(data)],
  )
  if (rowCount) return
  await tx.query(
    `insert into auth.identities (provider_id, user_id, identity_data, provider)
     values ($1::text, $1::uuid, $2, $3)`,
    [
      user.id,
      JSON.stringify({ sub: user.id, email_verified: false, phone_verified: false, ...data }),
      provider,
    ],
  )
  const providers = new Set([...((user.raw_app_meta_data.providers as string[] | undefined) ?? []), provider])
  await tx.query(`update auth.users set raw_app_meta_data = raw_app_meta_data || $2::jsonb where id = $1`, [
    user.id,
    JSON.stringify({ provider: user.raw_app_meta_data.provider ?? provider, providers: [...providers] }),
  ])
}
