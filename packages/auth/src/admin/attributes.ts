import type { Transaction } from '@groundwork/core'
import type { AuthCallContext } from '../api/context'
import type { UserRecord } from '../users/record'

/**
 * Attributes of `admin.createUser` / `admin.updateUserById` (GoTrue's `AdminUserParams`, auth-js'
 * `AdminUserAttributes`).
 */
export interface AdminUserAttributes {
  email?: string
  /** E.164. */
  phone?: string
  /** Policy-checked, then hashed. */
  password?: string
  /** An existing hash (bcrypt or scrypt PHC) instead of `password`, for imports (create only). */
  password_hash?: string
  /** Mark the address confirmed. */
  email_confirm?: boolean
  phone_confirm?: boolean
  /** Merged into `user_metadata` (keys set to `null` are removed on update). */
  user_metadata?: Record<string, unknown>
  /** Merged into `app_metadata` (keys set to `null` are removed on update). */
  app_metadata?: Record<string, unknown>
  /** The Postgres role of the user's tokens. @default 'authenticated' */
  role?: string
  /** The `aud` claim (create only). @default jwt.audience */
  aud?: string
  /** A Go duration (`'24h'`, `'1h30m'`), or `'none'` to lift a ban. */
  ban_duration?: string
  /** The new user's id (create only). @default a random UUID */
  id?: string
}

/** The audit-log traits of an admin action on `user`. */
export function targetTraits(user: Pick<UserRecord, 'id' | 'email' | 'phone'>): Record<string, string> {
  return { user_id: user.id, user_email: user.email ?? '', user_phone: user.phone ?? '' }
}

/** The audit options of an admin action on `user` (the acting admin is `ctx.actor`). */
export function adminAudit(user: Pick<UserRecord, 'id' | 'email' | 'phone'>, ctx: AuthCallContext) {
  return { ip: ctx.ip, traits: targetTraits(user) }
}

/** Sets or lifts a ban (`banMs` from `banDurationParam`: 0 lifts it, undefined leaves it). */
export async function setBan(tx: Transaction, userId: string, banMs: number | undefined): Promise<void> {
  if (banMs === undefined) return
  await tx.query(
    `update auth.users set banned_until = case when $2::float8 = 0 then null
       else now() + make_interval(secs => $2::float8 / 1000) end, updated_at = now() where id = $1`,
    [userId, banMs],
  )
}
