import type { RouteHandler } from '../context'
import { AuthError } from '../errors'
import { json } from '../http'
import { paginationLinks, paginationParams } from './params'

/** `query=<scope>:<text>` scopes and the payload keys each one searches (GoTrue's `filterColumnMap`). */
const SCOPES: Record<string, readonly string[]> = {
  author: ['actor_username', 'actor_name'],
  action: ['action'],
  type: ['log_type'],
}

/**
 * `GET /admin/audit?page=&per_page=&query=author:ann` (service role): `auth.audit_log_entries`
 * newest first, as `[{ id, payload, created_at, ip_address }]`, with `X-Total-Count` and `Link`.
 * `query` is `author:`, `action:` or `type:` followed by text matched case-insensitively anywhere
 * in those payload fields; any other scope is 400 `validation_failed`.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/audit.go
 */
export const listAuditLog: RouteHandler = async (ctx) => {
  await ctx.requireAdmin()
  const { services } = ctx
  const { page, perPage } = paginationParams(ctx.query)
  const query = ctx.query.get('query') ?? ''
  let keys: readonly string[] = []
  let like: string | null = null
  if (query !== '') {
    const colon = query.indexOf(':')
    const scope = colon === -1 ? undefined : SCOPES[query.slice(0, colon)]
    if (!scope) throw new AuthError('validation_failed', `Invalid query scope: ${query}`, { status: 400 })
    keys = scope
    const text = query.slice(colon + 1)
    like = text === '' ? null : `%${text.replace(/[\\%_]/g, '\\$&')}%`
  }
  // $1: the payload keys to search (text[]); $2: the pattern, null for no filter.
  const where = `($2::text is null or exists (
      select 1 from unnest($1::text[]) as k(key) where e.payload ->> k.key ilike $2))`
  const [{ rows: counted }, { rows }] = await Promise.all([
    services.db.query<{ total: number }>(
      `select count(*)::int as total from auth.audit_log_entries e where ${where}`,
      [keys, like],
    ),
    services.db.query<{ id: string; payload: unknown; created_at: Date; ip_address: string }>(
      `select e.id, e.payload, e.created_at, e.ip_address from auth.audit_log_entries e where ${where}
        order by e.created_at desc, e.id desc limit $3 offset $4`,
      [keys, like, perPage, (page - 1) * perPage],
    ),
  ])
  const total = counted[0]?.total ?? 0
  return json(
    rows.map((row) => ({ ...row, created_at: row.created_at.toISOString() })),
    200,
    {
      'X-Total-Count': String(total),
      Link: paginationLinks(`${services.externalUrl}/admin/audit`, page, perPage, total, { query }),
    },
  )
}
