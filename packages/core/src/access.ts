import { GroundworkError } from './errors'
import type { Principal } from './principal'

/** What a request does, for {@link assertAccess}. */
export interface AccessRequest {
  /**
   * `read` (GET/HEAD, calls of functions that are not volatile, subscriptions), `write` (anything
   * that changes data), `admin` (the admin endpoints of jobs, mail, realtime and auth).
   */
  operation: 'read' | 'write' | 'admin'
  /** Schema-qualified tables (or functions, for RPC) the request touches, embeds included. */
  tables?: readonly string[]
  /** Storage buckets the request touches (for `@groundwork/storage`). */
  buckets?: readonly string[]
}

/** The access-check codes. */
export type AccessErrorCode = 'CORE_SCOPE_DENIED' | 'CORE_TABLE_DENIED'

/**
 * The one place scopes and allowed tables are enforced, for every package: a caller narrowed by
 * `scopes` (API keys, client-credentials tokens) needs `read` to read, `write` to write and
 * `admin` for admin endpoints; one narrowed by `allowedTables` may touch only those tables.
 * Callers without scopes are not narrowed — except for `admin`, which then needs `serviceRole`.
 * Throws 403 `CORE_SCOPE_DENIED` / `CORE_TABLE_DENIED`; each protocol renders it its own way.
 *
 * Row-level security still applies on top: this only narrows, it never grants.
 */
export function assertAccess(
  principal: Principal,
  request: AccessRequest,
  serviceRole = 'service_role',
): void {
  const { scopes } = principal
  if (request.operation === 'admin') {
    const allowed = scopes === undefined ? principal.role === serviceRole : scopes.includes('admin')
    if (!allowed) {
      throw new GroundworkError<AccessErrorCode>(
        'CORE_SCOPE_DENIED',
        'This endpoint needs the service role or an admin-scoped key',
        {
          status: 403,
        },
      )
    }
    return
  }
  if (scopes !== undefined && !scopes.includes(request.operation)) {
    throw new GroundworkError<AccessErrorCode>(
      'CORE_SCOPE_DENIED',
      `The credentials lack the "${request.operation}" scope`,
      { status: 403, details: { required: request.operation, scopes } },
    )
  }
  const allowedTables = principal.allowedTables
  if (allowedTables !== undefined) {
    const denied = (request.tables ?? []).filter((table) => !allowedTables.includes(table))
    if (denied.length > 0) {
      throw new GroundworkError<AccessErrorCode>(
        'CORE_TABLE_DENIED',
        `The credentials may not use ${denied.map((t) => `"${t}"`).join(', ')}`,
        { status: 403, details: { denied } },
      )
    }
  }
}

/**
 * Whether a caller may use admin endpoints: the service role (not narrowed by scopes), or a caller
 * whose scopes include `admin` (an admin-scoped API key).
 */
export function canAdminister(principal: Principal, serviceRole = 'service_role'): boolean {
  return principal.scopes === undefined ? principal.role === serviceRole : principal.scopes.includes('admin')
}

/** `RateLimit-*` response headers for a caller with a budget (IETF draft-ietf-httpapi-ratelimit-headers). */
export function rateLimitHeaders(principal: Principal | null | undefined): Record<string, string> {
  const state = principal?.rateLimit
  if (!state) return {}
  return {
    'RateLimit-Limit': String(state.limit),
    'RateLimit-Remaining': String(Math.max(0, state.remaining)),
    'RateLimit-Reset': String(Math.max(0, Math.ceil(state.reset))),
  }
}
