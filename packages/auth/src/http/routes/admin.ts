import type { AdminUserAttributes } from '../../admin/attributes'
import type { GenerateLinkParams } from '../../admin/generate-link'
import { pageQuery, paginationHeaders } from '../pagination'
import { json } from '../response'
import { adminOnly, type Route } from '../route'

/**
 * GoTrue's admin routes (service role only): `/admin/users…`, `/admin/generate_link`, `/invite`,
 * `/admin/audit`. Admin bodies are GoTrue's `AdminUserParams`, which `api.admin` takes as they are.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/admin.go
 */
export const adminRoutes: Route[] = [
  {
    method: 'GET',
    path: '/admin/users',
    handler: adminOnly(async ({ query }, { api, externalUrl }) => {
      const filter = query.get('filter')?.trim() ?? ''
      const { users, aud, ...page } = await api.admin.listUsers({ ...pageQuery(query), filter })
      return json({ users, aud }, 200, paginationHeaders(`${externalUrl}/admin/users`, page, { filter }))
    }),
  },
  {
    method: 'POST',
    path: '/admin/users',
    handler: adminOnly(async ({ body, ctx }, { api }) =>
      json(await api.admin.createUser(body as AdminUserAttributes, ctx)),
    ),
  },
  {
    method: 'GET',
    path: '/admin/users/:id',
    handler: adminOnly(async ({ params }, { api }) => json(await api.admin.getUserById(params.id as string))),
  },
  {
    method: 'PUT',
    path: '/admin/users/:id',
    handler: adminOnly(async ({ params, body, ctx }, { api }) =>
      json(await api.admin.updateUserById(params.id as string, body as AdminUserAttributes, ctx)),
    ),
  },
  {
    method: 'DELETE',
    path: '/admin/users/:id',
    handler: adminOnly(async ({ params, body, ctx }, { api }) => {
      await api.admin.deleteUser(params.id as string, body.should_soft_delete === true, ctx)
      return json({})
    }),
  },
  {
    method: 'POST',
    path: '/admin/generate_link',
    handler: adminOnly(async ({ body, ctx, ...req }, { api }) => {
      const params: GenerateLinkParams = {
        type: body.type as GenerateLinkParams['type'],
        email: body.email as string,
        password: body.password as string,
        newEmail: body.new_email as string,
        data: body.data as Record<string, unknown>,
        redirectTo: req.redirectTo(),
      }
      const { user, properties } = await api.admin.generateLink(params, ctx)
      return json({ ...user, ...properties })
    }),
  },
  {
    method: 'POST',
    path: '/invite',
    handler: adminOnly(async ({ body, ctx, ...req }, { api }) => {
      const options = { data: body.data as Record<string, unknown>, redirectTo: req.redirectTo() }
      return json(await api.admin.inviteUserByEmail(body.email as string, options, ctx))
    }),
  },
  {
    method: 'GET',
    path: '/admin/audit',
    handler: adminOnly(async ({ query }, { api, externalUrl }) => {
      const search = query.get('query') ?? ''
      const { entries, ...page } = await api.admin.listAuditLog({ ...pageQuery(query), query: search })
      return json(entries, 200, paginationHeaders(`${externalUrl}/admin/audit`, page, { query: search }))
    }),
  },
]
