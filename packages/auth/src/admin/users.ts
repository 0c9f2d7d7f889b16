import type { Transaction } from '@groundwork/core'
import type { RouteContext, RouteHandler } from '../context'
import { AuthError } from '../errors'
import { json } from '../http'
import { isValidEmail, normalizeEmail, toUserJson, type User } from '../users'
import {
  banDurationParam,
  metadataParam,
  optionalUuid,
  paginationLinks,
  paginationParams,
  userIdParam,
} from './params'

/**
 * The admin user API (GoTrue's `internal/api/admin.go`), service_role only:
 * `GET/POST /admin/users`, `GET/PUT/DELETE /admin/users/{id}`.
 */

const DUPLICATE_EMAIL = 'A user with this email address has already been registered'
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/
const SCRYPT_PHC = /^\$scrypt\$ln=\d+,r=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value !== 'string')
    throw new AuthError('validation_failed', `${name} must be a string`, { status: 400 })
  return value
}

function emailOf(value: unknown): string | undefined {
  const raw = optionalString(value, 'email')
  if (raw === undefined) return undefined
  const email = normalizeEmail(raw)
  if (!isValidEmail(email)) {
    throw new AuthError('validation_failed', 'Unable to validate email address: invalid format', {
      status: 400,
    })
  }
  return email
}

function phoneOf(value: unknown): string | undefined {
  const raw = optionalString(value, 'phone')
  if (raw === undefined) return undefined
  const phone = raw.replace(/[\s()+-]/g, '')
  if (!/^[1-9]\d{7,14}$/.test(phone)) {
    throw new AuthError('validation_failed', 'Invalid phone number format (E.164 required)', { status: 400 })
  }
  return phone
}

async function loadUser(ctx: RouteContext, tx: Transaction | null = null): Promise<User> {
  const id = userIdParam(ctx.params.id)
  const user = await ctx.services.users.findById(tx ?? ctx.services.db, id, { forUpdate: tx !== null })
  if (!user) throw new AuthError('user_not_found', 'User not found', { status: 404 })
  return user
}

async function setBan(tx: Transaction, userId: string, banMs: number | undefined): Promise<void> {
  if (banMs === undefined) return
  await tx.query(
    `update auth.users set banned_until = case when $2::float8 = 0 then null
       else now() + make_interval(secs => $2::float8 / 1000) end, updated_at = now() where id = $1`,
    [userId, banMs],
  )
}

/** `GET /admin/users?page=&per_page=&filter=`: `{ users, aud }`, newest first, with `X-Total-Count` and `Link`. */
export const listUsers: RouteHandler = async (ctx) => {
  await ctx.requireAdmin()
  const { services } = ctx
  const { page, perPage } = paginationParams(ctx.query)
  const aud = services.options.jwt.audience
  const filter = ctx.query.get('filter')?.trim() ?? ''
  const like = filter === '' ? null : `%${filter.replace(/[\\%_]/g, '\\$&')}%`
  const where = `aud = $1 and ($2::text is null or email ilike $2 or raw_user_meta_data->>'full_name' ilike $2)`
  const [{ rows: counted }, { rows: ids }] = await Promise.all([
    services.db.query<{ total: number }>(`select count(*)::int as total from auth.users where ${where}`, [
      aud,
      like,
    ]),
    services.db.query<{ id: string }>(
      `select id from auth.users where ${where} order by created_at desc, id desc limit $3 offset $4`,
      [aud, like, perPage, (page - 1) * perPage],
    ),
  ])
  const total = counted[0]?.total ?? 0
  const users = await Promise.all(ids.map(({ id }) => services.users.findById(services.db, id)))
  const headers: Record<string, string> = {
    'X-Total-Count': String(total),
    Link: paginationLinks(`${services.externalUrl}/admin/users`, page, perPage, total, { filter }),
  }
  return json(
    { users: users.filter((user): user is User => user !== null).map(toUserJson), aud },
    200,
    headers,
  )
}

/** `GET /admin/users/{id}`. */
export const getUser: RouteHandler = async (ctx) => {
  await ctx.requireAdmin()
  return json(toUserJson(await loadUser(ctx)))
}

/**
 * `POST /admin/users` (auth-js `admin.createUser`): `email`/`phone`, `password` or an imported
 * `password_hash` (bcrypt or our scrypt PHC), `email_confirm`, `phone_confirm`, `user_metadata`,
 * `app_metadata`, `role`, `id`, `ban_duration`.
 */
export const createUser: RouteHandler = async (ctx) => {
  const claims = await ctx.requireAdmin()
  const { body, services } = ctx
  const email = emailOf(body.email)
  const phone = phoneOf(body.phone)
  if (!email && !phone) {
    throw new AuthError('validation_failed', 'Cannot create a user without either an email or phone', {
      status: 400,
    })
  }
  const password = body.password === undefined || body.password === null ? undefined : String(body.password)
  const passwordHash = optionalString(body.password_hash, 'password_hash')
  if (password !== undefined && password !== '' && passwordHash !== undefined) {
    throw new AuthError('validation_failed', 'Only a password or a password hash should be provided', {
      status: 400,
    })
  }
  if (passwordHash !== undefined && !BCRYPT.test(passwordHash) && !SCRYPT_PHC.test(passwordHash)) {
    throw new AuthError('validation_failed', 'Invalid password hash format', { status: 400 })
  }
  const id = optionalUuid(body.id)
  const userMetadata = metadataParam(body.user_metadata, 'user_metadata')
  const appMetadata = metadataParam(body.app_metadata, 'app_metadata')
  const banMs = banDurationParam(body.ban_duration)
  const role = optionalString(body.role, 'role')
  const aud = optionalString(body.aud, 'aud')
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
      emailConfirmed: body.email_confirm === true,
      phoneConfirmed: body.phone_confirm === true,
    })
    await setBan(tx, created.id, banMs)
    await services.audit(tx, 'user_signedup', adminActor(claims), {
      ip: ctx.ip,
      traits: { user_id: created.id, user_email: created.email ?? '', user_phone: created.phone ?? '' },
    })
    return (await services.users.findById(tx, created.id)) as User
  })
  return json(toUserJson(user))
}

/** `PUT /admin/users/{id}` (auth-js `admin.updateUserById`). */
export const updateUser: RouteHandler = async (ctx) => {
  const claims = await ctx.requireAdmin()
  const { body, services } = ctx
  const email = emailOf(body.email)
  const phone = phoneOf(body.phone)
  const userMetadata = metadataParam(body.user_metadata, 'user_metadata')
  const appMetadata = metadataParam(body.app_metadata, 'app_metadata')
  const banMs = banDurationParam(body.ban_duration)
  const role = optionalString(body.role, 'role')
  let hash: string | undefined
  if (typeof body.password === 'string') {
    services.passwords.checkPolicy(body.password)
    hash = await services.passwords.hash(body.password)
  }
  userIdParam(ctx.params.id)

  const user = await services.transact(async (tx) => {
    const current = await loadUser(ctx, tx)
    if (role) await services.users.update(tx, current.id, { role })
    if (email && email !== current.email) {
      const taken = await services.users.findByEmail(tx, email)
      if (taken && taken.id !== current.id)
        throw new AuthError('email_exists', DUPLICATE_EMAIL, { status: 422 })
      await services.users.update(tx, current.id, {
        email,
        ...(body.email_confirm === true ? { is_anonymous: false } : {}),
      })
      await upsertIdentity(tx, current, 'email', { email, email_verified: body.email_confirm === true })
    }
    if (body.email_confirm === true) await services.users.confirmEmail(tx, current.id)
    if (phone && phone !== current.phone) {
      await services.users.update(tx, current.id, { phone })
      await upsertIdentity(tx, current, 'phone', { phone, phone_verified: body.phone_confirm === true })
    }
    if (body.phone_confirm === true) {
      await tx.query(
        'update auth.users set phone_confirmed_at = coalesce(phone_confirmed_at, now()) where id = $1',
        [current.id],
      )
    }
    if (hash) await services.users.updatePassword(tx, current.id, hash)
    if (appMetadata) await services.users.updateAppMetadata(tx, current.id, appMetadata)
    if (userMetadata) await services.users.updateUserMetadata(tx, current.id, userMetadata)
    await setBan(tx, current.id, banMs)
    await services.audit(tx, 'user_modified', adminActor(claims), {
      ip: ctx.ip,
      traits: { user_id: current.id, user_email: current.email ?? '', user_phone: current.phone ?? '' },
    })
    return (await services.users.findById(tx, current.id)) as User
  })
  return json(toUserJson(user))
}

/** The `email`/`phone` identity after an admin changes the address (created when missing). */
async function upsertIdentity(
  tx: Transaction,
  user: User,
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

/**
 * `DELETE /admin/users/{id}` (auth-js `admin.deleteUser(id, shouldSoftDelete)`). A hard delete
 * removes the account and (by cascade) its identities, sessions and tokens; a soft delete keeps the
 * row with `deleted_at` set, frees its address for a new account, and ends every session.
 */
export const deleteUser: RouteHandler = async (ctx) => {
  const claims = await ctx.requireAdmin()
  const { body, services } = ctx
  const soft = body.should_soft_delete === true
  userIdParam(ctx.params.id)
  await services.transact(async (tx) => {
    const user = await loadUser(ctx, tx)
    await services.audit(tx, 'user_deleted', adminActor(claims), {
      ip: ctx.ip,
      traits: { user_id: user.id, user_email: user.email ?? '', user_phone: user.phone ?? '' },
    })
    if (!soft) {
      await tx.query('delete from auth.users where id = $1', [user.id])
      return
    }
    if (user.deleted_at) return
    await tx.query(
      `update auth.users set deleted_at = now(), encrypted_password = null, email_change = null,
         phone_change = null, updated_at = now() where id = $1`,
      [user.id],
    )
    await tx.query('delete from auth.sessions where user_id = $1', [user.id])
    await tx.query('delete from auth.one_time_tokens where user_id = $1', [user.id])
    await tx.query('delete from auth.flow_state where user_id = $1', [user.id])
    await tx.query('delete from auth.identities where user_id = $1', [user.id])
  })
  return json({})
}

/** The audit actor of an admin request: the service key's subject when it has one. */
export function adminActor(claims: {
  sub?: unknown
  email?: unknown
}): Pick<User, 'id' | 'email' | 'phone'> | null {
  if (typeof claims.sub !== 'string' || claims.sub === '') return null
  return { id: claims.sub, email: typeof claims.email === 'string' ? claims.email : null, phone: null }
}
