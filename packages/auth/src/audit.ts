import type { Queryable, User } from './users'

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
  | (string & {})

/** Appends an entry to `auth.audit_log_entries`, shaped as GoTrue's payload. */
export async function audit(
  tx: Queryable,
  action: AuditAction,
  actor: Pick<User, 'id' | 'email' | 'phone'> | null,
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
  actor: Pick<User, 'id' | 'email' | 'phone'> | null,
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

function logTypeOf(action: string): string {
  if (action === 'login' || action === 'logout') return 'account'
  if (action.startsWith('token_')) return 'token'
  if (action.startsWith('user_')) return action.includes('requested') ? 'user' : 'account'
  return 'account'
}
