import type { Auth } from '@groundwork/auth'

/** RFC 7662 §2.2's answer. */
export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>)

/**
 * Token introspection (RFC 7662): an access token that is active — signature, expiry, its grant
 * session alive or its `jti` not revoked — or a live refresh token of a grant. With `clientId`,
 * only that client's tokens are reported active (§4: a client learns nothing about others').
 *
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2.2
 */
export function createIntrospection(auth: Pick<Auth, 'api'>, issuer: string) {
  const grants = auth.api.oauthGrants
  return async function introspect(token: string, clientId: string | null): Promise<IntrospectionResponse> {
    const active = await grants.introspect(token)
    if (active) {
      const { claims } = active
      if (typeof claims.client_id !== 'string' || (clientId !== null && claims.client_id !== clientId)) {
        return { active: false }
      }
      return {
        active: true,
        scope: claims.scope ?? '',
        client_id: claims.client_id,
        token_type: 'Bearer',
        sub: claims.sub,
        aud: claims.aud,
        iss: claims.iss,
        exp: claims.exp,
        iat: claims.iat,
        ...(claims.jti ? { jti: claims.jti } : {}),
        ...(typeof claims.email === 'string' && claims.email !== '' ? { username: claims.email } : {}),
      }
    }
    const refresh = await grants.refreshTokenClient(token)
    if (refresh?.clientId && (clientId === null || refresh.clientId === clientId)) {
      return {
        active: true,
        scope: refresh.scope ?? '',
        client_id: refresh.clientId,
        token_type: 'refresh_token',
        sub: refresh.userId,
        iss: issuer,
      }
    }
    return { active: false }
  }
}
