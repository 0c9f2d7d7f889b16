import { randomUUID } from 'node:crypto'
import { named, type Queryable } from '../db'
import { AuthError } from '../errors'
import { hydrateUser, type RawUser, SELECT_USER, type UserRecord, type UserRow } from './record'
import { isUuid, normalizeEmail } from './validation'

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
 * transaction (`tx`), so the account operations compose them with sessions, tokens and mail atomically.
 */
export interface UsersRepository {
  findById(tx: Queryable, id: string, options?: { forUpdate?: boolean }): Promise<UserRecord | null>
  /** By canonical form (`normalizeEmail`: NFKC, case-folded); soft-deleted accounts are not found. */
  findByEmail(tx: Queryable, email: string, options?: { forUpdate?: boolean }): Promise<UserRecord | null>
  findByPhone(tx: Queryable, phone: string): Promise<UserRecord | null>
  /**
   * Inserts the account (+ its `email`/`phone` identity). Callers check for duplicates first; a
   * concurrent insert hits the unique index and surfaces as 422 `email_exists`/`phone_exists`.
   */
  create(tx: Queryable, input: NewUser): Promise<UserRecord>
  /** Sets `email_confirmed_at = now()` and `user_metadata.email_verified = true`. */
  confirmEmail(tx: Queryable, id: string): Promise<UserRecord>
  /** Stores a new password hash. Session revocation is the caller's choice (see `sessions.revokeAllExcept`). */
  updatePassword(tx: Queryable, id: string, passwordHash: string): Promise<void>
  /** Merges metadata as GoTrue does: keys set to `null` are removed. */
  updateUserMetadata(tx: Queryable, id: string, patch: Record<string, unknown>): Promise<void>
  updateAppMetadata(tx: Queryable, id: string, patch: Record<string, unknown>): Promise<void>
  /** Updates plain columns (`email_change`, `*_sent_at`, `email`, `banned_until`, …). */
  update(tx: Queryable, id: string, columns: Partial<Omit<UserRow, 'id' | 'confirmed_at'>>): Promise<void>
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
export function createUsersRepository(defaults: { audience: string; role: string }): UsersRepository {
  const repo: UsersRepository = {
    async findById(tx, id, options = {}) {
      // A malformed id can never match; checking avoids a 22P02 from the uuid cast.
      if (!isUuid(id)) return null
      const { rows } = await tx.query<RawUser>(
        options.forUpdate
          ? named('user_by_id_for_update', `${SELECT_USER} where u.id = $1 for update of u`, [id])
          : named('user_by_id', `${SELECT_USER} where u.id = $1`, [id]),
      )
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
          input.role ?? defaults.role,
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
      return (await repo.findById(tx, id)) as UserRecord
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
      return (await repo.findById(tx, id)) as UserRecord
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
  }
  return repo
}
