import { json } from '../response'
import { adminOnly, type Route } from '../route'

/**
 * GoTrue's MFA routes (`/factors/*`, TOTP) and the admin factor routes.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/mfa.go
 * @see https://supabase.com/docs/guides/auth/auth-mfa
 */
export const mfaRoutes: Route[] = [
  {
    method: 'POST',
    path: '/factors',
    handler: async ({ body, accessToken, ctx }, { api }) =>
      json(
        await api.mfa.enroll(
          accessToken,
          {
            factorType: body.factor_type as string,
            friendlyName: body.friendly_name as string,
            issuer: body.issuer as string,
          },
          ctx,
        ),
      ),
  },
  {
    method: 'POST',
    path: '/factors/:id/challenge',
    handler: async ({ params, accessToken, ctx }, { api }) =>
      json(await api.mfa.challenge(accessToken, params.id ?? '', ctx)),
  },
  {
    method: 'POST',
    path: '/factors/:id/verify',
    handler: async ({ params, body, accessToken, ctx }, { api }) =>
      json(
        await api.mfa.verify(
          accessToken,
          params.id ?? '',
          { challengeId: body.challenge_id as string, code: body.code as string },
          ctx,
        ),
      ),
  },
  {
    method: 'DELETE',
    path: '/factors/:id',
    handler: async ({ params, accessToken, ctx }, { api }) =>
      json(await api.mfa.unenroll(accessToken, params.id ?? '', ctx)),
  },
  {
    method: 'GET',
    path: '/admin/users/:id/factors',
    handler: adminOnly(async ({ params }, { api }) => json(await api.adminMfa.listFactors(params.id ?? ''))),
  },
  {
    method: 'DELETE',
    path: '/admin/users/:id/factors/:factorId',
    handler: adminOnly(async ({ params, ctx }, { api }) =>
      json(await api.adminMfa.deleteFactor(params.id ?? '', params.factorId ?? '', ctx)),
    ),
  },
]
