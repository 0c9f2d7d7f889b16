import type { AuthCallContext } from '../api/context'
import { AuthError } from '../errors'
import type { AuthServices } from '../services'
import { toUser, type User } from '../users/json'
import type { UserRecord } from '../users/record'
import { metadataParam } from '../users/validation'
import { type AdminUserAttributes, adminAudit, setBan } from './attributes'
import {
  banDurationParam,
  optionalEmail,
  optionalPhone,
  optionalRole,
  optionalString,
  optionalUuid,
} from './params'

const DUPLICATE_EMAIL = 'A user with this email address has already been registered'
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/
const SCRYPT_PHC = /^\$scrypt\$ln=\d+,r=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/

/**
 * GoTrue's `POST /admin/users`: an account with `email`/`phone`, a `password` or an imported
 * `password_hash` (bcrypt or our scrypt PHC), confirmation flags, metadata, `role`, `id`, a ban.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/admin.go
 */
export async function createUser(
  services: AuthServices,
  attributes: AdminUserAttributes,
  ctx: AuthCallContext,
): Promise<User> {
  const email = optionalEmail(attributes.email)
  const phone = optionalPhone(attributes.phone)
  if (!email && !phone) {
    throw new AuthError('validation_failed', 'Cannot create a user without either an email or phone', {
      status: 400,
    })
  }
  const raw = attributes.password as unknown
  const password = raw === undefined || raw === null ? undefined : String(raw)
  const passwordHash = optionalString(attributes.password_hash, 'password_hash')
  if (password !== undefined && password !== '' && passwordHash !== undefined) {
    throw new AuthError('validation_failed', 'Only a password or a password hash should be provided', {
      status: 400,
    })
  }
  if (passwordHash !== undefined && !BCRYPT.test(passwordHash) && !SCRYPT_PHC.test(passwordHash)) {
    throw new AuthError('validation_failed', 'Invalid password hash format', { status: 400 })
  }
  const id = optionalUuid(attributes.id)
  const userMetadata = metadataParam(attributes.user_metadata, 'user_metadata')
  const appMetadata = metadataParam(attributes.app_metadata, 'app_metadata')
  const banMs = banDurationParam(attributes.ban_duration)
  const role = optionalRole(attributes.role, services.roles)
  const aud = optionalString(attributes.aud, 'aud')
  let hash: string | null = passwordHash ?? null
  if (password !== undefined && password !== '') {
    services.passwords.checkPolicy(password)
    hash = await services.passwords.hash(password)
  }

  const user = await services.transact(async (tx) => {
    if (email && (await services.users.findByEmail(tx, email))) {
      throw new AuthError('email_exists', DUPLICATE_EMAIL, { status: 422 })
    }
    if (phone && (await services.users.findByPhone(tx, phone))) {
      throw new AuthError('phone_exists', 'Phone number already registered by another user', { status: 422 })
    }
    if (id && (await services.users.findById(tx, id))) {
      throw new AuthError('user_already_exists', 'User already exists', { status: 422 })
    }
    const created = await services.users.create(tx, {
      ...(id ? { id } : {}),
      email: email ?? null,
      phone: phone ?? null,
      passwordHash: hash,
      ...(aud ? { aud } : {}),
      ...(role ? { role } : {}),
      ...(userMetadata ? { userMetadata } : {}),
      ...(appMetadata ? { appMetadata } : {}),
      emailConfirmed: attributes.email_confirm === true,
      phoneConfirmed: attributes.phone_confirm === true,
    })
    await setBan(tx, created.id, banMs)
    await services.audit(tx, 'user_signedup', ctx.actor ?? null, adminAudit(created, ctx))
    return (await services.users.findById(tx, created.id)) as UserRecord
  })
  return toUser(user)
}
