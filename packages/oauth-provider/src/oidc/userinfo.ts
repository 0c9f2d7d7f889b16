import type { Auth, User } from '@groundwork/auth'
import { parseScope } from '../authorize/scopes'
import { OAuthProviderError } from '../errors'
import { userClaims } from './claims'

/**
 * The UserInfo endpoint (OIDC Core §5.3): for an active OAuth access token of a user with the
 * `openid` scope, the claims its scopes release. Failures are RFC 6750 §3: 401 `invalid_token`
 * (or a bare `WWW-Authenticate: Bearer` without a token), 403 `insufficient_scope`.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
 */
export function createUserinfo(auth: Pick<Auth, 'api'>) {
  const invalid = (why: string) =>
    new OAuthProviderError('OAUTH_INVALID_TOKEN', why, {
      headers: { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${why}"` },
    })
  return async function userinfo(accessToken: string): Promise<Record<string, unknown>> {
    if (!accessToken) {
      throw new OAuthProviderError('OAUTH_INVALID_TOKEN', 'A Bearer access token is required', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      })
    }
    const active = await auth.api.oauthGrants.introspect(accessToken)
    if (active?.kind !== 'user' || typeof active.claims.client_id !== 'string') {
      throw invalid('The access token is invalid, expired or revoked')
    }
    const scopes = parseScope(String(active.claims.scope ?? ''))
    if (!scopes.includes('openid')) {
      throw new OAuthProviderError('OAUTH_INSUFFICIENT_SCOPE', 'The token lacks the openid scope', {
        headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope", scope="openid"' },
      })
    }
    let user: User
    try {
      user = await auth.api.admin.getUserById(active.claims.sub)
    } catch {
      throw invalid('The user of the token no longer exists')
    }
    return userClaims(user, scopes)
  }
}
