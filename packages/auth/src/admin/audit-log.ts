import { AuthError } from '../errors'
import type { AuthServices } from '../services'
import { type PageInfo, type PageParams, pageInfo, pageParams } from './pagination'
import { likePattern } from './users'

/** One `auth.audit_log_entries` row (GoTrue's `AuditLogEntry`). */
export interface AuditLogEntry {
  id: string
  /** `{ actor_id, actor_username, actor_via_sso, action, log_type, traits? }` */
  payload: Record<string, unknown>
  created_at: string
  ip_address: string
}

/** Parameters of `admin.listAuditLog`. */
export interface AuditLogParams extends PageParams {
  /** `author:<text>`, `action:<text>` or `type:<text>`: a case-insensitive substring of those payload fields. */
  query?: string
}

/** A page of audit entries, newest first. */
export interface AuditLogPage extends PageInfo {
  entries: AuditLogEntry[]
}

/** `query=<scope>:<text>` scopes and the payload keys each one searches (GoTrue's `filterColumnMap`). */
const SCOPES: Record<string, readonly string[]> = {
  author: ['actor_username', 'actor_name'],
  action: ['action'],
  type: ['log_type'],
}

/**
 * GoTrue's `GET /admin/audit`: `auth.audit_log_entries` newest first; any scope but `author:`,
 * `action:` and `type:` is 400 `validation_failed`. Entries older than `auditRetention` are
 * removed by `auth.cleanup()`.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/audit.go
 */
export async function listAuditLog(services: AuthServices, params: AuditLogParams): Promise<AuditLogPage> {
  const { page, perPage } = pageParams(params)
  const query = typeof params.query === 'string' ? params.query : ''
  let keys: readonly string[] = []
  let like: string | null = null
  if (query !== '') {
    const colon = query.indexOf(':')
    const scope = colon === -1 ? undefined : SCOPES[query.slice(0, colon)]
    if (!scope) throw new AuthError('validation_failed', `Invalid query scope: ${query}`, { status: 400 })
    keys = scope
    like = likePattern(query.slice(colon + 1))
  }
  // $1: the payload keys to search (text[]); $2: the pattern, null for no filter.
  const where = `($2::text is null or exists (
      select 1 from unnest($1::text[]) as k(key) where e.payload ->> k.key ilike $2))`
  const [{ rows: counted }, { rows }] = await Promise.all([
    services.db.query<{ total: number }>(
      `select count(*)::int as total from auth.audit_log_entries e where ${where}`,
      [keys, like],
    ),
    services.db.query<{ id: string; payload: Record<string, unknown>; created_at: Date; ip_address: string }>(
      `select e.id, e.payload, e.created_at, e.ip_address from auth.audit_log_entries e where ${where}
        order by e.created_at desc, e.id desc limit $3 offset $4`,
      [keys, like, perPage, (page - 1) * perPage],
    ),
  ])
  return {
    entries: rows.map((row) => ({ ...row, created_at: row.created_at.toISOString() })),
    ...pageInfo(counted[0]?.total ?? 0, page, perPage),
  }
}
