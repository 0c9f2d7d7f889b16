import type { SignOutScope } from '../../sessions/sessions'
import { pkceFields } from '../request'
import { json } from '../response'
import { getOnly, type Route } from '../route'

/** GoTrue's account routes: sign-up, the signed-in user, sign-out, reauthentication. */
export const accountRoutes: Route[] = [
  {
    method: 'POST',
    path: '/signup',
    async handler({ body, ctx, ...req }, { api }) {
      const result = await api.signUp(
        {
          email: body.email as string,
          phone: body.phone as string,
          password: body.password as string,
          data: body.data as Record<string, unknown>,
          redirectTo: req.redirectTo(),
          ...pkceFields(body),
        },
        ctx,
      )
      return json(result.session ?? result.user)
    },
  },
  {
    method: 'GET',
    path: '/user',
    handler: async ({ accessToken }, { api }) => json(await api.getUser(accessToken)),
  },
  {
    method: 'PUT',
    path: '/user',
    async handler({ body, ctx, accessToken, ...req }, { api }) {
      const user = await api.updateUser(
        accessToken,
        {
          email: body.email as string,
          phone: body.phone as string,
          password: body.password as string,
          nonce: body.nonce as string,
          data: body.data as Record<string, unknown>,
          appMetadata: body.app_metadata as never,
          redirectTo: req.redirectTo(),
          ...pkceFields(body),
        },
        ctx,
      )
      return json(user)
    },
  },
  {
    method: 'POST',
    path: '/logout',
    async handler({ query, accessToken, ctx }, { api }) {
      await api.signOut(accessToken, (query.get('scope') || 'global') as SignOutScope, ctx)
      return new Response(null, { status: 204 })
    },
  },
  {
    method: 'GET',
    path: '/reauthenticate',
    handler: getOnly(async ({ accessToken, ctx }, { api }) => {
      await api.reauthenticate(accessToken, ctx)
      return json({})
    }),
  },
]
