import type { Queryable } from '../db'
import { AuthError } from '../errors'
import { APP_COLUMNS, type AppRow } from './model'

/** Told about changes that the key cache of this instance must drop at once. */
export interface KeyChangeListener {
  appChanged(appId: string): void
  keyChanged(prefix: string): void
}

/** 404 `user_not_found` unless `id` is a live (not deleted) user. */
export async function requireUser(tx: Queryable, id: string): Promise<void> {
  const { rows } = await tx.query('select 1 from auth.users where id = $1 and deleted_at is null', [id])
  if (rows.length === 0) throw new AuthError('user_not_found', 'User not found', { status: 404 })
}

/** The app row (locked `for update` when asked), or null. */
export async function findApp(tx: Queryable, id: string, forUpdate = false): Promise<AppRow | null> {
  const { rows } = await tx.query<AppRow>(
    `select ${APP_COLUMNS} from auth.apps where id = $1${forUpdate ? ' for update' : ''}`,
    [id],
  )
  return rows[0] ?? null
}
