import type { UserRecord } from '../users/record'

/** Who acts in an admin call, for the audit log (`actor_id`, `actor_username`). */
export type AuditActor = Pick<UserRecord, 'id' | 'email' | 'phone'>

/**
 * What an `auth.api` call knows about its caller — what the handler takes from the HTTP request.
 * Every field is optional: a script calls `auth.api.*` with none.
 */
export interface AuthCallContext {
  /**
   * The client address: the key of the per-IP rate limits (skipped without one; per-email limits
   * still apply), recorded in the audit log and on new sessions.
   */
  ip?: string
  /** The client's `User-Agent`, recorded on new sessions and refreshes. */
  userAgent?: string | null
  /** The HTTP request being served, when there is one: handed to the `beforeSignUp` hook. */
  request?: Request
  /** The admin acting (the service key's `sub`/`email`), for the audit log; null or absent: anonymous. */
  actor?: AuditActor | null
}
