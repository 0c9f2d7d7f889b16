import type { AuthCallContext } from '../api/context'
import { AuthError } from '../errors'
import type { AuthServices } from '../services'
import { toUser, type User } from '../users/json'
import type { UserRecord } from '../users/record'
import { adminAudit } from './attributes'
import { type PageInfo, type PageParams, pageInfo, pageParams } from './pagination'
import { userIdParam } from './params'

/** Parameters of `admin.listUsers`. */
export interface ListUsersParams extends PageParams {
  /** Case-insensitive substring of the email or `user_metadata.full_name`. */
  filter?: string
}

/** A page of users (auth-js' `listUsers` result), newest first. */
export interface UserList extends PageInfo {
  users: User[]
  /** The audience listed (`jwt.audience`). */
  aud: string
}

/** Escapes `%`, `_` and `\` for a `like` pattern. */
export function likePattern(text: string): string | null {
  return text === '' ? null : `%${text.replace(/[\\%_]/g, '\\$&')}%`
}

/**
 * GoTrue's `GET /admin/users`: the users of the configured audience, newest first.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/admin.go
 */
export async function listUsers(services: AuthServices, params: ListUsersParams): Promise<UserList> {
  const { page, perPage } = pageParams(params)
  const aud = services.options.jwt.audience
  const like = likePattern(typeof params.filter === 'string' ? params.filter.trim() : '')
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
  const users = await Promise.all(ids.map(({ id }) => services.users.findById(services.db, id)))
  return {
    users: users.filter((user): user is UserRecord => user !== null).map(toUser),
    aud,
    ...pageInfo(counted[0]?.total ?? 0, page, perPage),
  }
}

/** GoTrue's `GET /admin/users/{id}`; 404 `user_not_found`. */
export async function getUserById(services: AuthServices, id: string): Promise<User> {
  const user = await services.users.findById(services.db, userIdParam(id))
  if (!user) throw new AuthError('user_not_found', 'User not found', { status: 404 })
  return toUser(user)
}

/**
 * GoTrue's `DELETE /admin/users/{id}`. A hard delete removes the account and (by cascade) its
 * identities, sessions, tokens and API keys; a soft delete keeps the row with `deleted_at` set,
 * frees its address for a new account, and ends every session. A user who owns apps is not
 * deleted either way (409 `user_owns_apps`): their apps' keys act as them, so the apps must be
 * deleted or given another owner first (`auth.apps.owner_id` is `ON DELETE RESTRICT` too).
 */
export async function deleteUser(
  services: AuthServices,
  id: string,
  shouldSoftDelete: boolean,
  ctx: AuthCallContext,
): Promise<void> {
  const userId = userIdParam(id)
  await services.transact(async (tx) => {
    const user = await services.users.findById(tx, userId, { forUpdate: true })
    if (!user) throw new AuthError('user_not_found', 'User not found', { status: 404 })
    const { rows: owned } = await tx.query<{ apps: number }>(
      'select count(*)::int as apps from auth.apps where owner_id = $1',
      [user.id],
    )
    const apps = owned[0]?.apps ?? 0
    if (apps > 0) {
      throw new AuthError(
        'user_owns_apps',
        `User owns ${apps} app(s): delete them or give them another owner (PUT /admin/apps/{id} with owner_id) first`,
        { status: 409 },
      )
    }
    await services.audit(tx, 'user_deleted', ctx.actor ?? null, adminAudit(user, ctx))
    if (shouldSoftDelete !== true) {
      await tx.query('delete from auth.users where id = $1', [user.id])
      return
    }
    if (user.deleted_at) return
    await tx.query(
      `update auth.users set deleted_at = now(), encrypted_password = null, email_change = null,
         phone_change = null, updated_at = now() where id = $1`,
      [user.id],
    )
    for (const table of ['sessions', 'one_time_tokens', 'flow_state', 'identities']) {
      await tx.query(`delete from auth.${table} where user_id = $1`, [user.id])
    }
  })
}
