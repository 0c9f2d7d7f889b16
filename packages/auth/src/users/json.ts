import { randomUUID } from 'node:crypto'
import { type Factor, toFactor } from '../mfa/factors'
import type { IdentityRow, UserRecord } from './record'

/** A user's `app_metadata`: how they signed up (`provider`, `providers`) and what admins set. */
export interface UserAppMetadata {
  /** The first provider the user signed up with (`email`, `phone`, …). */
  provider?: string
  /** Every provider linked to the account. */
  providers?: string[]
  [key: string]: unknown
}

/** A user's `user_metadata`: what they (or `beforeSignUp`) set; the identity's claims are copied in. */
export interface UserMetadata {
  [key: string]: unknown
}

/**
 * An identity as GoTrue answers it: `identity_id` is the row id, `id` the provider's user id.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/models/identity.go
 */
export interface UserIdentity {
  identity_id: string
  id: string
  user_id: string
  identity_data: Record<string, unknown>
  provider: string
  last_sign_in_at: string | null
  created_at: string
  updated_at: string
  email: string
}

/**
 * The user object GoTrue answers (`models.User` JSON; auth-js' `User`): no secrets; timestamps as
 * ISO strings, left out when unset; `email` and `phone` are `''` when unset.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/models/user.go
 * @see https://supabase.com/docs/reference/javascript/auth-getuser
 */
export interface User {
  id: string
  aud: string
  role: string
  email: string
  email_confirmed_at?: string
  invited_at?: string
  phone: string
  phone_confirmed_at?: string
  confirmation_sent_at?: string
  confirmed_at?: string
  recovery_sent_at?: string
  /** The address an email change waits to be confirmed for. */
  new_email?: string
  email_change_sent_at?: string
  new_phone?: string
  phone_change_sent_at?: string
  reauthentication_sent_at?: string
  last_sign_in_at?: string
  app_metadata: UserAppMetadata
  user_metadata: UserMetadata
  identities: UserIdentity[]
  /** MFA factors, when the user has any (GoTrue leaves the key out otherwise). */
  factors?: Factor[]
  created_at: string
  updated_at: string
  banned_until?: string
  deleted_at?: string
  is_anonymous: boolean
}

type OptionalField = {
  [K in keyof User]-?: undefined extends User[K] ? K : never
}[keyof User]

/** Renders a {@link UserRecord} as GoTrue's user JSON (the key order is GoTrue's, too). */
export function toUser(record: UserRecord): User {
  const user: Record<string, unknown> = {
    id: record.id,
    aud: record.aud,
    role: record.role,
    email: record.email ?? '',
  }
  const optional = (key: OptionalField, value: Date | string | null | undefined) => {
    if (value !== null && value !== undefined && value !== '')
      user[key] = value instanceof Date ? value.toISOString() : value
  }
  optional('email_confirmed_at', record.email_confirmed_at)
  optional('invited_at', record.invited_at)
  user.phone = record.phone ?? ''
  optional('phone_confirmed_at', record.phone_confirmed_at)
  optional('confirmation_sent_at', record.confirmation_sent_at)
  optional('confirmed_at', record.confirmed_at)
  optional('recovery_sent_at', record.recovery_sent_at)
  optional('new_email', record.email_change)
  optional('email_change_sent_at', record.email_change_sent_at)
  optional('new_phone', record.phone_change)
  optional('phone_change_sent_at', record.phone_change_sent_at)
  optional('reauthentication_sent_at', record.reauthentication_sent_at)
  optional('last_sign_in_at', record.last_sign_in_at)
  user.app_metadata = record.raw_app_meta_data ?? {}
  user.user_metadata = record.raw_user_meta_data ?? {}
  user.identities = record.identities.map(toIdentity)
  if (record.factors && record.factors.length > 0) user.factors = record.factors.map(toFactor)
  user.created_at = record.created_at.toISOString()
  user.updated_at = record.updated_at.toISOString()
  optional('banned_until', record.banned_until)
  optional('deleted_at', record.deleted_at)
  user.is_anonymous = record.is_anonymous
  return user as unknown as User
}

/** Renders an identity row as GoTrue does. */
export function toIdentity(identity: IdentityRow): UserIdentity {
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

/** jsonb's key order (shorter keys first, then by bytes), which every stored object comes back in. */
function jsonbOrdered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(jsonbOrdered)
  if (typeof value !== 'object' || value === null) return value
  const entries = Object.entries(value).sort(
    ([a], [b]) =>
      Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)),
  )
  return Object.fromEntries(entries.map(([key, item]) => [key, jsonbOrdered(item)]))
}

/** A value as it comes back from a jsonb column. */
function asStored<T>(value: T): T {
  return jsonbOrdered(JSON.parse(JSON.stringify(value))) as T
}

/**
 * The answer to a sign-up for an address that already has an account (without autoconfirm): a
 * never-stored user exactly as a fresh sign-up renders — same fields, same key order, an `email`
 * identity, the identity claims in `user_metadata` — with a new id and the current time, so the
 * body does not tell an existing account from a new one. (GoTrue's `sanitizeUser` answers `role:
 * ""` and no identities, which does; Supabase's docs even suggest testing for it.)
 */
export function unsavedUser(input: {
  email: string
  audience: string
  role: string
  userMetadata: UserMetadata
  appMetadata?: Record<string, unknown>
}): User {
  const id = randomUUID()
  const now = new Date()
  const identityData = { sub: id, email: input.email, email_verified: false, phone_verified: false }
  return toUser({
    id,
    aud: input.audience,
    role: input.role,
    email: input.email,
    encrypted_password: null,
    email_confirmed_at: null,
    invited_at: null,
    confirmation_sent_at: now,
    recovery_sent_at: null,
    email_change: null,
    email_change_sent_at: null,
    email_change_confirm_status: 0,
    reauthentication_sent_at: null,
    last_sign_in_at: null,
    raw_app_meta_data: asStored({ provider: 'email', providers: ['email'], ...input.appMetadata }),
    raw_user_meta_data: asStored({ ...identityData, ...input.userMetadata }),
    is_super_admin: null,
    created_at: now,
    updated_at: now,
    phone: null,
    phone_confirmed_at: null,
    phone_change: null,
    phone_change_sent_at: null,
    confirmed_at: null,
    banned_until: null,
    deleted_at: null,
    is_anonymous: false,
    is_sso_user: false,
    identities: [
      {
        id: randomUUID(),
        provider_id: id,
        user_id: id,
        identity_data: asStored(identityData),
        provider: 'email',
        last_sign_in_at: now,
        created_at: now,
        updated_at: now,
        email: input.email,
      },
    ],
  })
}
