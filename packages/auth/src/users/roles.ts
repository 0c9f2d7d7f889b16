import { AuthError } from '../errors'
import type { ResolvedAuthOptions } from '../options'

/**
 * Which Postgres roles a user may have and a token may carry. A user's `role` becomes the `role`
 * claim of their access tokens, which REST, realtime and storage switch to (`set_config('role')`):
 * a user with `role: 'postgres'` would be a superuser login. So users may only have
 * `db.roles.authenticated` or one of `allowedRoles` (mirroring `createDatabase({ allowedRoles })`),
 * and `authenticate()` accepts only those and the API roles (anon, service role).
 */
export interface RolePolicy {
  /** The role of new users (`db.roles.authenticated`). */
  readonly defaultUserRole: string
  /** `role` when a user may have it; 422 `validation_failed` for anything else (a non-string too). */
  requireUserRole(role: unknown): string
  /** Whether a token may carry `role` (then `authenticate()` answers a principal with it). */
  isRequestRole(role: string): boolean
}

/** Builds the {@link RolePolicy} of the options (`allowedRoles` was checked by the schema). */
export function createRolePolicy(options: Pick<ResolvedAuthOptions, 'db' | 'allowedRoles'>): RolePolicy {
  const { roles } = options.db
  // Defaults to the roles the database lets requests run as (createDatabase({ allowedRoles })).
  const userRoles = new Set([roles.authenticated, ...(options.allowedRoles ?? options.db.allowedRoles ?? [])])
  const requestRoles = new Set([roles.anon, roles.service, ...userRoles])
  return {
    defaultUserRole: roles.authenticated,
    requireUserRole(role) {
      if (typeof role !== 'string' || !userRoles.has(role)) {
        throw new AuthError(
          'validation_failed',
          `Invalid role: a user's role must be ${roles.authenticated} or one of allowedRoles`,
          { status: 422 },
        )
      }
      return role
    },
    isRequestRole: (role) => requestRoles.has(role),
  }
}
