import type { AdminUserAttributes } from '../admin/attributes'
import { type AuditLogPage, type AuditLogParams, listAuditLog } from '../admin/audit-log'
import { createUser } from '../admin/create-user'
import { type GenerateLinkParams, type GenerateLinkResult, generateLink } from '../admin/generate-link'
import { type InviteOptions, inviteUserByEmail } from '../admin/invite'
import { updateUserById } from '../admin/update-user'
import { deleteUser, getUserById, type ListUsersParams, listUsers, type UserList } from '../admin/users'
import type { AuthServices } from '../services'
import type { User } from '../users/json'
import type { AuthCallContext } from './context'

/**
 * `auth.api.admin`: the service-role operations, named as auth-js' `GoTrueAdminApi`. In-process
 * calls are trusted (no token); the handler checks the caller's service role before calling them.
 * `ctx.actor` names the acting admin in the audit log.
 */
export interface AuthAdminApi {
  /**
   * Users of the configured audience, newest first, with auth-js' pagination fields
   * (`GET /admin/users`).
   * @see https://supabase.com/docs/reference/javascript/auth-admin-listusers
   */
  listUsers(params?: ListUsersParams): Promise<UserList>
  /**
   * Creates a user (`POST /admin/users`); `password_hash` imports a bcrypt or scrypt hash.
   * @see https://supabase.com/docs/reference/javascript/auth-admin-createuser
   */
  createUser(attributes: AdminUserAttributes, ctx?: AuthCallContext): Promise<User>
  /**
   * One user (`GET /admin/users/{id}`); 404 `user_not_found`.
   * @see https://supabase.com/docs/reference/javascript/auth-admin-getuserbyid
   */
  getUserById(id: string): Promise<User>
  /**
   * Updates a user (`PUT /admin/users/{id}`).
   * @see https://supabase.com/docs/reference/javascript/auth-admin-updateuserbyid
   */
  updateUserById(id: string, attributes: AdminUserAttributes, ctx?: AuthCallContext): Promise<User>
  /**
   * Deletes a user (`DELETE /admin/users/{id}`); `shouldSoftDelete` keeps the row, anonymised.
   * @see https://supabase.com/docs/reference/javascript/auth-admin-deleteuser
   */
  deleteUser(id: string, shouldSoftDelete?: boolean, ctx?: AuthCallContext): Promise<void>
  /**
   * Creates the account and mails an invite (`POST /invite`).
   * @see https://supabase.com/docs/reference/javascript/auth-admin-inviteuserbyemail
   */
  inviteUserByEmail(email: string, options?: InviteOptions, ctx?: AuthCallContext): Promise<User>
  /**
   * Issues a sign-up, invite, magic-link, recovery or email-change link without mailing it
   * (`POST /admin/generate_link`).
   * @see https://supabase.com/docs/reference/javascript/auth-admin-generatelink
   */
  generateLink(params: GenerateLinkParams, ctx?: AuthCallContext): Promise<GenerateLinkResult>
  /**
   * Audit entries newest first (`GET /admin/audit`); `query` is `author:…`, `action:…` or
   * `type:…`. Entries older than `auditRetention` are removed by `auth.cleanup()`.
   * @see https://github.com/supabase/auth/blob/master/internal/api/audit.go
   */
  listAuditLog(params?: AuditLogParams): Promise<AuditLogPage>
}

/** Builds {@link AuthAdminApi}. */
export function createAdminApi(services: AuthServices): AuthAdminApi {
  return {
    listUsers: (params = {}) => listUsers(services, params),
    createUser: (attributes, ctx = {}) => createUser(services, attributes, ctx),
    getUserById: (id) => getUserById(services, id),
    updateUserById: (id, attributes, ctx = {}) => updateUserById(services, id, attributes, ctx),
    deleteUser: (id, shouldSoftDelete = false, ctx = {}) => deleteUser(services, id, shouldSoftDelete, ctx),
    inviteUserByEmail: (email, options = {}, ctx = {}) => inviteUserByEmail(services, email, options, ctx),
    generateLink: (params, ctx = {}) => generateLink(services, params, ctx),
    listAuditLog: (params = {}) => listAuditLog(services, params),
  }
}
