import type { Queryable } from './db'
import type { UserRecord } from './users/record'

/** GoTrue's audit actions (`models.AuditAction`). */
export type AuditAction =
  | 'login'
  | 'logout'
  | 'user_signedup'
  | 'user_confirmation_requested'
  | 'user_recovery_requested'
  | 'user_reauthenticate_requested'
  | 'user_updated_password'
  | 'user_modified'
  | 'user_invited'
  | 'user_deleted'
  | 'user_repeated_signup'
  | 'token_refreshed'
  | 'token_revoked'
  // Groundwork's own: apps and API keys.
  | 'app_created'
  | 'app_updated'
  | 'app_deleted'
  | 'api_key_created'
  | 'api_key_revoked'
  | (string & {})

/** Appends an entry to `auth.audit_log_entries`, shaped as GoTrue's payload. */
export async function audit(
  tx: Queryable,
  action: AuditAction,
  actor: Pick<UserRecord, 'id' | 'email' | 'phone'> | null,
  options: { ip?: string; traits?: Record<string, unknown>; logType?: string } = {},
): Promise<void> {
  await tx.query('insert into auth.audit_log_entries (payload, ip_address) values ($1, $2)', [
    auditPayload(action, actor, options),
    (options.ip ?? '').slice(0, 64),
  ])
}

/** The JSON payload of an audit entry, as GoTrue writes it (for callers that batch the insert). */
export function auditPayload(
  action: AuditAction,
  actor: Pick<UserRecord, 'id' | 'email' | 'phone'> | null,
  options: { traits?: Record<string, unknown>; logType?: string } = {},
): string {
  return JSON.stringify({
    actor_id: actor?.id ?? '',
    actor_username: actor?.email ?? actor?.phone ?? '',
    actor_via_sso: false,
    action,
    log_type: options.logType ?? logTypeOf(action),
    ...(options.traits ? { traits: options.traits } : {}),
  })
}

/** GoTrue's `ActionLogTypeMap` (internal/models/audit_log_entry.go); unknown actions are `account`. */
const LOG_TYPES: Record<string, string> = {
  login: 'account',
  logout: 'account',
  invite_accepted: 'account',
  user_signedup: 'team',
  user_invited: 'team',
  user_deleted: 'team',
  token_revoked: 'token',
  token_refreshed: 'token',
  user_modified: 'user',
  user_recovery_requested: 'user',
  user_confirmation_requested: 'user',
  user_repeated_signup: 'user',
  user_updated_password: 'user',
  user_reauthenticate_requested: 'user',
  app_created: 'team',
  app_updated: 'team',
  app_deleted: 'team',
  api_key_created: 'token',
  api_key_revoked: 'token',
}

function logTypeOf(action: string): string {
  return LOG_TYPES[action] ?? 'account'
}
