import type { Principal } from '@groundwork/core'
import type { Queryable } from '../db'
import { AuthError } from '../errors'
import type { AccessTokenClaims } from '../sessions/jwt'

/** The `gty` claim of client-credentials access tokens (the grant that issued them). */
export const CLIENT_CREDENTIALS_GTY = 'client_credentials'

/**
 * True for a client-credentials access token (`@groundwork/oauth-provider`): `gty` names the
 * grant and there is no `session_id` — every user token carries one (a `customAccessTokenClaims`
 * hook cannot remove it), so no user token takes this path.
 */
export function isClientCredentialsToken(claims: AccessTokenClaims): boolean {
  return claims.gty === CLIENT_CREDENTIALS_GTY && claims.session_id === undefined
}

/**
 * The principal of a client-credentials token: it acts for the client's app (`app_id`), narrowed
 * as an app's API key is — `read`/`write`/`admin` from its `scope`, and its `allowed_tables` —
 * and refused once revoked (RFC 7009: its `jti` is in `auth.oauth_revoked_tokens`).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2.2
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
export async function clientCredentialsPrincipal(
  db: Queryable,
  role: string,
  claims: AccessTokenClaims,
  token: string,
): Promise<Principal> {
  if (typeof claims.jti !== 'string' || claims.jti === '')
    throw new AuthError('bad_jwt', 'invalid JWT: missing jti claim', { status: 401 })
  const { rows } = await db.query<{ revoked: boolean }>(
    'select exists (select 1 from auth.oauth_revoked_tokens where jti = $1) as revoked',
    [claims.jti],
  )
  if (rows[0]?.revoked) throw new AuthError('bad_jwt', 'invalid JWT: the token was revoked', { status: 401 })
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(isDataScope) : []
  const tables = Array.isArray(claims.allowed_tables)
    ? claims.allowed_tables.filter((table): table is string => typeof table === 'string')
    : undefined
  return {
    kind: 'jwt',
    role,
    claims,
    token,
    ...(typeof claims.app_id === 'string' ? { app: claims.app_id } : {}),
    scopes,
    ...(tables ? { allowedTables: tables } : {}),
  }
}

function isDataScope(scope: string): boolean {
  return scope === 'read' || scope === 'write' || scope === 'admin'
}
