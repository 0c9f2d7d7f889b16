// Owned by AUTH-B: the admin API (service_role only) and invites.
import type { Route } from '../context'

/** Routes of the admin API (`/admin/users…`, `/admin/generate_link`, `/invite`). */
export const adminRoutes: Route[] = []
