import type { FactorRow } from '../mfa/factors'
/** A row of `auth.users` (timestamps as `Date`). */
export interface UserRow {
  id: string
  aud: string
  role: string
  email: string | null
  encrypted_password: string | null
  email_confirmed_at: Date | null
  invited_at: Date | null
  confirmation_sent_at: Date | null
  recovery_sent_at: Date | null
  email_change: string | null
  email_change_sent_at: Date | null
  email_change_confirm_status: number
  reauthentication_sent_at: Date | null
  last_sign_in_at: Date | null
  raw_app_meta_data: Record<string, unknown>
  raw_user_meta_data: Record<string, unknown>
  is_super_admin: boolean | null
  created_at: Date
  updated_at: Date
  phone: string | null
  phone_confirmed_at: Date | null
  phone_change: string | null
  phone_change_sent_at: Date | null
  confirmed_at: Date | null
  banned_until: Date | null
  deleted_at: Date | null
  is_anonymous: boolean
  is_sso_user: boolean
}

/** A row of `auth.identities`. */
export interface IdentityRow {
  id: string
  provider_id: string
  user_id: string
  identity_data: Record<string, unknown>
  provider: string
  last_sign_in_at: Date | null
  created_at: Date
  updated_at: Date
  email: string | null
}

/**
 * An account as stored, with its identities: what the services pass around and what hooks
 * receive. Rendered for clients as a {@link User} (`toUser`), which leaves out the secrets.
 */
export interface UserRecord extends UserRow {
  identities: IdentityRow[]
  /** The user's MFA factors (`user.factors` in GoTrue's JSON); absent where not loaded. */
  factors?: FactorRow[]
}

const USER_COLUMNS = `u.id, u.aud, u.role, u.email, u.encrypted_password, u.email_confirmed_at, u.invited_at,
  u.confirmation_sent_at, u.recovery_sent_at, u.email_change, u.email_change_sent_at, u.email_change_confirm_status,
  u.reauthentication_sent_at, u.last_sign_in_at, u.raw_app_meta_data, u.raw_user_meta_data, u.is_super_admin,
  u.created_at, u.updated_at, u.phone, u.phone_confirmed_at, u.phone_change, u.phone_change_sent_at, u.confirmed_at,
  u.banned_until, u.deleted_at, u.is_anonymous, u.is_sso_user`

/**
 * One round trip: the user row plus its identities as a JSON array. Also used as a lateral
 * subquery by the refresh grant and the token check, with {@link hydrateUser} on the result.
 */
export const SELECT_USER = `select ${USER_COLUMNS},
  coalesce((select json_agg(i order by i.created_at) from auth.identities i where i.user_id = u.id), '[]') as identities,
  coalesce((select json_agg(json_build_object('id', f.id, 'user_id', f.user_id, 'friendly_name', f.friendly_name,
      'factor_type', f.factor_type, 'status', f.status, 'created_at', f.created_at, 'updated_at', f.updated_at,
      'last_challenged_at', f.last_challenged_at) order by f.created_at)
    from auth.mfa_factors f where f.user_id = u.id), '[]') as factors
  from auth.users u`

/** A row as {@link SELECT_USER} returns it (identities still JSON). */
export type RawUser = UserRow & {
  identities: (Omit<IdentityRow, 'last_sign_in_at' | 'created_at' | 'updated_at'> & {
    last_sign_in_at: string | null
    created_at: string
    updated_at: string
  })[]
  factors?: FactorRow[]
}

/** Turns a {@link SELECT_USER} row into a {@link UserRecord} (identity timestamps as `Date`). */
export function hydrateUser(row: RawUser | undefined): UserRecord | null {
  if (!row) return null
  return {
    ...row,
    identities: row.identities.map((identity) => ({
      ...identity,
      last_sign_in_at: identity.last_sign_in_at ? new Date(identity.last_sign_in_at) : null,
      created_at: new Date(identity.created_at),
      updated_at: new Date(identity.updated_at),
    })),
  }
}

/** True while `banned_until` lies in the future. */
export function isBanned(user: UserRow, now = new Date()): boolean {
  return user.banned_until !== null && user.banned_until > now
}
