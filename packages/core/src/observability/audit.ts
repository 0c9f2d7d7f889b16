import type { Principal } from '../principal'

/** Anything that runs a parameterised query (a `Database`, a `Transaction`, a `pg` pool or client). */
interface Executor {
  // biome-ignore lint/suspicious/noExplicitAny: pg's and core's result types differ; only `rows` is read.
  query(text: string, values?: unknown[]): Promise<any>
}

/** One admin action, as recorded in auth's audit log. */
export interface AuditEntry {
  /** What happened, `<package>.<action>`: `webhooks.endpoint_created`, `push.sent`, `storage.bucket_deleted`. */
  action: string
  /** Who did it: the request's principal (its `sub`, key id, role), or a label for scripts (`cli`). */
  actor?: Principal | string | undefined
  /** GoTrue's `log_type`: the package (`webhooks`, `push`, `storage`, `keys`). */
  logType: string
  /** What it was done to and how (ids, names; never secrets). */
  traits?: Record<string, unknown>
  /** The client address (`clientAddress(request)`), when there was a request. */
  ipAddress?: string | undefined
}

/**
 * Records an admin action in `auth.audit_log_entries` — GoTrue's audit log, which `GET
 * /auth/v1/admin/audit` and `auth.api.admin.listAuditLog({ query: 'type:webhooks' })` read — in
 * GoTrue's payload shape `{ actor_id, actor_username, action, log_type, traits }`. Run it on the
 * transaction of the change it records, so the entry exists exactly when the change does. A
 * database without `@groundwork/auth`'s schema records nothing.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/models/audit_log_entry.go
 */
export async function recordAudit(executor: Executor, entry: AuditEntry): Promise<void> {
  const actor = entry.actor
  const principal = typeof actor === 'object' ? actor : undefined
  const payload = {
    actor_id: principal ? (principal.keyId ?? stringClaim(principal, 'sub') ?? '') : '',
    actor_username: principal
      ? (stringClaim(principal, 'email') ??
        (principal.keyId ? `key:${principal.app ?? principal.keyId}` : principal.role))
      : (actor ?? 'system'),
    actor_via_sso: false,
    action: entry.action,
    log_type: entry.logType,
    ...(entry.traits ? { traits: entry.traits } : {}),
  }
  // Checked first: a statement naming a missing table fails at parse time, whatever its WHERE says.
  const { rows } = (await executor.query(
    `select to_regclass('auth.audit_log_entries') is not null as present`,
  )) as { rows: { present: boolean }[] }
  if (!rows[0]?.present) return
  await executor.query('insert into auth.audit_log_entries (payload, ip_address) values ($1::json, $2)', [
    JSON.stringify(payload),
    (entry.ipAddress ?? '').slice(0, 64),
  ])
}

function stringClaim(principal: Principal, name: string): string | undefined {
  const value = principal.claims[name]
  return typeof value === 'string' && value !== '' ? value : undefined
}
