import { AuthError } from '../../errors'
import type { ApiKeyType } from '../../keys/format'
import type { CreateApiKeyInput, CreateAppInput, CreateUserApiKeyInput } from '../../keys/inputs'
import { json } from '../response'
import { adminOnly, type Route } from '../route'

const noContent = () => new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } })

/** A query parameter, absent when empty. */
const param = (query: URLSearchParams, name: string) => query.get(name) || undefined

/**
 * Apps and API keys over HTTP, in GoTrue's JSON style (snake_case bodies, `{ code, message }`
 * errors). Admin routes let in the service role or an `admin`-scoped key; `/user/api-keys` is the
 * signed-in user's self-service (their session's access token: a key cannot mint keys). Bodies go
 * to `auth.api` as they came; it validates them (400 `validation_failed` naming the field).
 */
export const apiKeyRoutes: Route[] = [
  {
    method: 'POST',
    path: '/admin/apps',
    handler: adminOnly(async ({ body, ctx }, { api }) =>
      json(await api.apps.create(body as unknown as CreateAppInput, ctx), 201),
    ),
  },
  {
    method: 'GET',
    path: '/admin/apps',
    handler: adminOnly(async ({ query }, { api }) => {
      const ownerId = param(query, 'owner_id')
      return json({ apps: await api.apps.list(ownerId ? { owner_id: ownerId } : {}) })
    }),
  },
  {
    method: 'GET',
    path: '/admin/apps/:id',
    handler: adminOnly(async ({ params }, { api }) => json(await api.apps.get(params.id as string))),
  },
  {
    method: 'PUT',
    path: '/admin/apps/:id',
    handler: adminOnly(async ({ params, body, ctx }, { api }) =>
      json(await api.apps.update(params.id as string, body as Partial<CreateAppInput>, ctx)),
    ),
  },
  {
    method: 'DELETE',
    path: '/admin/apps/:id',
    handler: adminOnly(async ({ params, ctx }, { api }) => {
      await api.apps.delete(params.id as string, ctx)
      return noContent()
    }),
  },
  {
    method: 'POST',
    path: '/admin/api-keys',
    handler: adminOnly(async ({ body, ctx, apiKey }, { api }) => {
      // A narrowed key (even `admin`-scoped) may not mint a secret key: that would lift it to
      // the service role, which bypasses RLS.
      if (apiKey?.scopes !== undefined && body.type === 'secret') {
        throw new AuthError('not_admin', 'Only the service role may create secret keys', { status: 403 })
      }
      return json(await api.keys.create(body as unknown as CreateApiKeyInput, ctx), 201)
    }),
  },
  {
    method: 'GET',
    path: '/admin/api-keys',
    handler: adminOnly(async ({ query }, { api }) => {
      const filter = {
        app_id: param(query, 'app_id'),
        user_id: param(query, 'user_id'),
        type: param(query, 'type') as ApiKeyType | undefined,
      }
      const defined = Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined))
      return json({ keys: await api.keys.list(defined) })
    }),
  },
  {
    method: 'GET',
    path: '/admin/api-keys/:id',
    handler: adminOnly(async ({ params }, { api }) => json(await api.keys.get(params.id as string))),
  },
  {
    method: 'DELETE',
    path: '/admin/api-keys/:id',
    handler: adminOnly(async ({ params, ctx }, { api }) => {
      await api.keys.revoke(params.id as string, ctx)
      return noContent()
    }),
  },
  {
    method: 'GET',
    path: '/user/api-keys',
    handler: async ({ accessToken }, { api }) => json({ keys: await api.userKeys.list(accessToken) }),
  },
  {
    method: 'POST',
    path: '/user/api-keys',
    handler: async ({ accessToken, body, ctx }, { api }) =>
      json(await api.userKeys.create(accessToken, body as unknown as CreateUserApiKeyInput, ctx), 201),
  },
  {
    method: 'DELETE',
    path: '/user/api-keys/:id',
    handler: async ({ accessToken, params, ctx }, { api }) => {
      await api.userKeys.revoke(accessToken, params.id as string, ctx)
      return noContent()
    },
  },
]
