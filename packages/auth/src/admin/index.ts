// Owned by AUTH-B: the admin API (service_role only) and invites.
import type { Route } from '../context'
import { listAuditLog } from './audit-log'
import { generateLink } from './generate-link'
import { invite } from './invite'
import { createUser, deleteUser, getUser, listUsers, updateUser } from './users'

/** Routes of the admin API (`/admin/users…`, `/admin/generate_link`, `/invite`, `/admin/audit`). */
export const adminRoutes: Route[] = [
  { method: 'GET', path: '/admin/users', handler: listUsers },
  { method: 'POST', path: '/admin/users', handler: createUser },
  { method: 'GET', path: '/admin/users/:id', handler: getUser },
  { method: 'PUT', path: '/admin/users/:id', handler: updateUser },
  { method: 'DELETE', path: '/admin/users/:id', handler: deleteUser },
  { method: 'POST', path: '/admin/generate_link', handler: generateLink },
  { method: 'POST', path: '/invite', handler: invite },
  { method: 'GET', path: '/admin/audit', handler: listAuditLog },
]
