import { randomUUID } from 'node:crypto'
import { AuthError } from './errors'

/** Anything that runs a parameterised query: a core `Database` or `Transaction`. */
export interface Queryable {
  query<R extends object = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>
}

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

/** An account with its identities, as the services pass it around. */
export interface User extends UserRow {
  identities: IdentityRow[]
}

/**
 * The user object GoTrue returns (`models.User` JSON): secrets never included, `omitempty`
 * timestamps left out when null, `email`/`phone` as `''` when unset.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/models/user.go
 */
export function toUserJson(user: User): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: user.id,
    aud: user.aud,
    role: user.role,
    email: user.email ?? '',
  }
  const optional = (key: string, value: Date | string | null | undefined) => {
    if (value !== null && value !== undefined && value !== '')
      out[key] = value instanceof Date ? value.toISOString() : value
  }
  optional('email_confirmed_at', user.email_confirmed_at)
  optional('invited_at', user.invited_at)
  out.phone = user.phone ?? ''
  optional('phone_confirmed_at', user.phone_confirmed_at)
  optional('confirmation_sent_at', user.confirmation_sent_at)
  optional('confirmed_at', user.confirmed_at)
  optional('recovery_sent_at', user.recovery_sent_at)
  optional('new_email', user.email_change)
  optional('email_change_sent_at', user.email_change_sent_at)
  optional('new_phone', user.phone_change)
  optional('phone_change_sent_at', user.phone_change_sent_at)
  optional('reauthentication_sent_at', user.reauthentication_sent_at)
  optional('last_sign_in_at', user.last_sign_in_at)
  out.app_metadata = user.raw_app_meta_data ?? {}
  out.user_metadata = user.raw_user_meta_data ?? {}
  out.identities = user.identities.map(toIdentityJson)
  out.created_at = user.created_at.toISOString()
  out.updated_at = user.updated_at.toISOString()
  optional('banned_until', user.banned_until)
  optional('deleted_at', user.deleted_at)
  out.is_anonymous = user.is_anonymous
  return out
}

/** An identity as GoTrue returns it (`identity_id` is the row id, `id` the provider's user id). */
export function toIdentityJson(identity: IdentityRow): Record<string, unknown> {
  return {
    identity_id: identity.id,
    id: identity.provider_id,
    user_id: identity.user_id,
    identity_data: identity.identity_data,
    provider: identity.provider,
    last_sign_in_at: identity.last_sign_in_at?.toISOString() ?? null,
    created_at: identity.created_at.toISOString(),
    updated_at: identity.updated_at.toISOString(),
    email: identity.email ?? '',
  }
}

/** True while `banned_until` lies in the future. */
export function isBanned(user: UserRow, now = new Date()): boolean {
  return user.banned_until !== null && user.banned_until > now
}

/** Lower-cases and trims an address, as GoTrue stores emails. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

// Same shape GoTrue validates: something@something.tld, ≤ 255 characters.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** A syntactically valid email address (GoTrue's `validateEmail`). */
export function isValidEmail(email: string): boolean {
  return email.length <= 255 && EMAIL.test(email)
}

/** Fields accepted by {@link UsersRepository.create}. */
export interface NewUser {
  id?: string
  email?: string | null
  phone?: string | null
  /** A hash from `hashPassword` (or an imported bcrypt hash); null for passwordless accounts. */
  passwordHash?: string | null
  aud?: string
  role?: string
  userMetadata?: Record<string, unknown>
  appMetadata?: Record<string, unknown>
  emailConfirmed?: boolean
  phoneConfirmed?: boolean
  isAnonymous?: boolean
  invitedAt?: Date | null
  /** Create the `email` (or `phone`) identity row, as GoTrue does for every sign-up. @default true */
  identity?: boolean
}

/**
 * The users repository: every read and write of `auth.users`/`auth.identities`, on the caller's
 * transaction (`tx`), so route modules compose them with sessions, tokens and mail atomically.
 */
export interface UsersRepository {
  findById(tx: Queryable, id: string, options?: { forUpdate?: boolean }): Promise<User | null>
  /** Case-insensitive; soft-deleted accounts are not found. */
  findByEmail(tx: Queryable, email: string, options?: { forUpdate?: boolean }): Promise<User | null>
  findByPhone(tx: Queryable, phone: string): Promise<User | null>
  /** Inserts the account (+ its `email`/`phone` identity); 422 `email_exists`-free: callers check first, a race hits the unique index and surfaces as `user_already_exists`. */
  create(tx: Queryable, input: NewUser): Promise<User>
  /** Sets `email_confirmed_at = now()` and `user_metadata.email_verified = true`. */
  confirmEmail(tx: Queryable, id: string): Promise<User>
  /** Stores a new password hash. Session revocation is the caller's choice (see `sessions.revokeAllExcept`). */
  updatePassword(tx: Queryable, id: string, passwordHash: string): Promise<void>
  /** Merges metadata as GoTrue does: keys set to `null` are removed. */
  updateUserMetadata(tx: Queryable, id: string, patch: Record<string, unknown>): Promise<void>
  updateAppMetadata(tx: Queryable, id: string, patch: Record<string, unknown>): Promise<void>
  /** Updates plain columns (`email_change`, `*_sent_at`, `email`, `banned_until`, …). */
  update(tx: Queryable, id: string, columns: Partial<Omit<UserRow, 'id' | 'confirmed_at'>>): Promise<void>
  touchLastSignIn(tx: Queryable, id: string): Promise<void>
}

const USER_COLUMNS = `u.id, u.aud, u.role, u.email, u.encrypted_password, u.email_confirmed_at, u.invited_at,
  u.confirmation_sent_at, u.recovery_sent_at, u.email_change, u.email_change_sent_at, u.email_change_confirm_status,
  u.reauthentication_sent_at, u.last_sign_in_at, u.raw_app_meta_data, u.raw_user_meta_data, u.is_super_admin,
  u.created_at, u.updated_at, u.phone, u.phone_confirmed_at, u.phone_change, u.phone_change_sent_at, u.confirmed_at,
  u.banned_until, u.deleted_at, u.is_anonymous, u.is_sso_user`

/**
 * One round trip: the user row plus its identities as a JSON array. Internal: also used as a
 * lateral subquery by the refresh grant, with {@link hydrateUser} on the result.
 */
export const SELECT_USER = `select ${USER_COLUMNS},
  coalesce((select json_agg(i order by i.created_at) from auth.identities i where i.user_id = u.id), '[]') as identities
  from auth.users u`

/** A row as {@link SELECT_USER} returns it (identities still JSON). */
export type RawUser = UserRow & {
  identities: (Omit<IdentityRow, 'last_sign_in_at' | 'created_at' | 'updated_at'> & {
    last_sign_in_at: string | null
    created_at: string
    updated_at: string
  })[]
}

/** Turns a {@link SELECT_USER} row into a {@link User} (identity timestamps as `Date`). */
export function hydrateUser(row: RawUser | undefined): User | null {
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

const UPDATABLE = new Set([
  'aud',
  'role',
  'email',
  'encrypted_password',
  'email_confirmed_at',
  'invited_at',
  'confirmation_sent_at',
  'recovery_sent_at',
  'email_change',
  'email_change_sent_at',
  'email_change_confirm_status',
  'reauthentication_sent_at',
  'last_sign_in_at',
  'raw_app_meta_data',
  'raw_user_meta_data',
  'is_super_admin',
  'phone',
  'phone_confirmed_at',
  'phone_change',
  'phone_change_sent_at',
  'banned_until',
  'deleted_at',
  'is_anonymous',
  'is_sso_user',
])

/**
 * Runs the account insert; a concurrent sign-up of the same address hits `users_email_key`
 * (or `users_phone_key`) and becomes GoTrue's 422 instead of a 500.
 */
async function insertUser(tx: Queryable, text: string, values: unknown[]): Promise<void> {
  try {
    await tx.query(text, values)
  } catch (error) {
    const { code, constraint } = error as { code?: string; constraint?: string }
    if (code === '23505' && constraint === 'users_email_key') {
      throw new AuthError('email_exists', 'A user with this email address has already been registered', {
        status: 422,
        cause: error,
      })
    }
    if (code === '23505' && constraint === 'users_phone_key') {
      throw new AuthError('phone_exists', 'A user with this phone number has already been registered', {
        status: 422,
        cause: error,
      })
    }
    if (code === '23505' && constraint === 'users_pkey') {
      throw new AuthError('user_already_exists', 'User already registered', { status: 422, cause: error })
    }
    throw error
  }
}

/** `column || $2` minus the top-level keys `$2` sets to JSON null (GoTrue's `UpdateUserMetaData`). */
const MERGE = (column: string) =>
  `(${column} || $2::jsonb) - coalesce((select array_agg(key) from jsonb_each($2::jsonb) where value = 'null'::jsonb), '{}')`

/** The Postgres implementation of {@link UsersRepository}. */
export function createUsersRepository(defaults: { audience: string }): UsersRepository {
  const repo: UsersRepository = {
    async findById(tx, id, options = {}) {
      // A malformed id can never match; checking avoids a 22P02 from the uuid cast.
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null
      const lock = options.forUpdate ? ' for update of u' : ''
      const { rows } = await tx.query<RawUser>(`${SELECT_USER} where u.id = $1${lock}`, [id])
      return hydrateUser(rows[0])
    },
    async findByEmail(tx, email, options = {}) {
      const lock = options.forUpdate ? ' for update of u' : ''
      const { rows } = await tx.query<RawUser>(
        `${SELECT_USER} where lower(u.email) = $1 and u.is_sso_user = false and u.deleted_at is null${lock}`,
        [normalizeEmail(email)],
      )
      return hydrateUser(rows[0])
    },
    async findByPhone(tx, phone) {
      const { rows } = await tx.query<RawUser>(`${SELECT_USER} where u.phone = $1 and u.deleted_at is null`, [
        phone,
      ])
      return hydrateUser(rows[0])
    },
    async create(tx, input) {
      const email = input.email ? normalizeEmail(input.email) : null
      const provider = email ? 'email' : input.phone ? 'phone' : null
      const providers = provider ? [provider] : []
      const appMetadata = {
        ...(provider ? { provider, providers } : {}),
        ...(input.appMetadata ?? {}),
      }
      const id = input.id ?? randomUUID()
      // GoTrue copies the identity's claims into user_metadata (`sub`, `email`, `email_verified`…).
      const identityData: Record<string, unknown> | null =
        provider === 'email'
          ? { sub: id, email, email_verified: Boolean(input.emailConfirmed), phone_verified: false }
          : provider === 'phone'
            ? {
                sub: id,
                phone: input.phone,
                email_verified: false,
                phone_verified: Boolean(input.phoneConfirmed),
              }
            : null
      const userMetadata = { ...(identityData ?? {}), ...(input.userMetadata ?? {}) }
      await insertUser(
        tx,
        `insert into auth.users (id, aud, role, email, phone, encrypted_password, raw_user_meta_data, raw_app_meta_data,
           email_confirmed_at, phone_confirmed_at, is_anonymous, invited_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8,
           case when $9 then now() end, case when $10 then now() end, $11, $12)`,
        [
          id,
          input.aud ?? defaults.audience,
          input.role ?? 'authenticated',
          email,
          input.phone ?? null,
          input.passwordHash ?? null,
          JSON.stringify(userMetadata),
          JSON.stringify(appMetadata),
          Boolean(input.emailConfirmed),
          Boolean(input.phoneConfirmed),
          Boolean(input.isAnonymous),
          input.invitedAt ?? null,
        ],
      )
      if (provider && identityData && input.identity !== false) {
        await tx.query(
          `insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at)
           values ($1::text, $1::uuid, $2, $3, now())`,
          [id, JSON.stringify(identityData), provider],
        )
      }
      return (await repo.findById(tx, id)) as User
    },
    async confirmEmail(tx, id) {
      await tx.query(
        `update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()),
           raw_user_meta_data = raw_user_meta_data || '{"email_verified": true}'::jsonb, updated_at = now()
         where id = $1`,
        [id],
      )
      await tx.query(
        `update auth.identities set identity_data = identity_data || '{"email_verified": true}'::jsonb, updated_at = now()
         where user_id = $1 and provider = 'email'`,
        [id],
      )
      return (await repo.findById(tx, id)) as User
    },
    async updatePassword(tx, id, passwordHash) {
      await tx.query('update auth.users set encrypted_password = $2, updated_at = now() where id = $1', [
        id,
        passwordHash,
      ])
    },
    async updateUserMetadata(tx, id, patch) {
      await tx.query(
        `update auth.users set raw_user_meta_data = ${MERGE('raw_user_meta_data')}, updated_at = now() where id = $1`,
        [id, JSON.stringify(patch)],
      )
    },
    async updateAppMetadata(tx, id, patch) {
      await tx.query(
        `update auth.users set raw_app_meta_data = ${MERGE('raw_app_meta_data')}, updated_at = now() where id = $1`,
        [id, JSON.stringify(patch)],
      )
    },
    async update(tx, id, columns) {
      const entries = Object.entries(columns).filter(
        ([key, value]) => UPDATABLE.has(key) && value !== undefined,
      )
      if (entries.length === 0) return
      const sets = entries.map(([key], index) => `${key} = $${index + 2}`)
      const values = entries.map(([key, value]) =>
        key === 'raw_app_meta_data' || key === 'raw_user_meta_data' ? JSON.stringify(value) : value,
      )
      await tx.query(`update auth.users set ${sets.join(', ')}, updated_at = now() where id = $1`, [
        id,
        ...values,
      ])
    },
    async touchLastSignIn(tx, id) {
      await tx.query('update auth.users set last_sign_in_at = now() where id = $1', [id])
      await tx.query(
        `update auth.identities set last_sign_in_at = now() where user_id = $1 and provider in ('email', 'phone')`,
        [id],
      )
    },
  }
  return repo
}
