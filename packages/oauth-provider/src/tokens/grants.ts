import { randomUUID } from 'node:crypto'
import type { Auth, Session } from '@groundwork/auth'
import type { Authorizations } from '../authorize/authorizations'
import { verifierMatches } from '../authorize/pkce'
import { assertResource } from '../authorize/request'
import { grantedScopes, parseScope } from '../authorize/scopes'
import type { ClientRow } from '../clients/model'
import { fromAuthError, OAuthProviderError } from '../errors'
import type { createIdTokens } from '../oidc/id-token'
import { DATA_SCOPES, type ResolvedOAuthProviderOptions } from '../options-schema'

/** The token endpoint's successful answer (RFC 6749 §5.1, OIDC Core §3.1.3.3). */
export interface TokenResponse {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  refresh_token?: string
  scope: string
  id_token?: string
}

/** The client address and agent, recorded on grant sessions. */
export interface TokenContext {
  ip?: string | undefined
  userAgent?: string | null | undefined
}

/**
 * The grants of `POST /oauth/token`, for an already authenticated client.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
export function createGrants(deps: {
  auth: Pick<Auth, 'api'>
  authorizations: Authorizations
  idToken: ReturnType<typeof createIdTokens>
  options: ResolvedOAuthProviderOptions
}) {
  const { auth, authorizations, idToken, options } = deps
  const grants = auth.api.oauthGrants

  function allow(client: ClientRow, grant: 'authorization_code' | 'refresh_token' | 'client_credentials') {
    if (!client.grant_types.includes(grant)) {
      throw new OAuthProviderError('OAUTH_UNAUTHORIZED_CLIENT', `The client may not use the ${grant} grant`)
    }
  }

  async function withIdToken(
    response: TokenResponse,
    session: Session,
    client: ClientRow,
    scopes: string[],
    extra: { nonce?: string | null; authTime?: number | null; amr?: string[] },
  ): Promise<TokenResponse> {
    if (!scopes.includes('openid')) return response
    const id_token = await idToken({
      user: session.user,
      clientId: client.id,
      scopes,
      accessToken: session.access_token,
      ...extra,
    })
    return { ...response, id_token }
  }

  function tokenResponse(session: Session, client: ClientRow, scopes: string[]): TokenResponse {
    return {
      access_token: session.access_token,
      token_type: 'Bearer',
      expires_in: session.expires_in,
      ...(client.grant_types.includes('refresh_token') ? { refresh_token: session.refresh_token } : {}),
      scope: scopes.join(' '),
    }
  }

  return {
    /** `grant_type=authorization_code`: one use; PKCE verified; a replay ends what the first use started. */
    async authorizationCode(
      client: ClientRow,
      params: URLSearchParams,
      ctx: TokenContext,
    ): Promise<TokenResponse> {
      allow(client, 'authorization_code')
      const code = params.get('code')
      const verifier = params.get('code_verifier')
      if (!code) throw new OAuthProviderError('OAUTH_INVALID_REQUEST', 'code is required')
      if (!verifier) throw new OAuthProviderError('OAUTH_INVALID_REQUEST', 'code_verifier is required (PKCE)')
      const sessionId = randomUUID()
      const redeemed = await authorizations.redeem(code, sessionId, client.id)
      if ('replayed' in redeemed) {
        const first = redeemed.replayed
        if (first?.session_id) {
          await grants.revokeSession(first.session_id, client.id)
        }
        throw new OAuthProviderError(
          'OAUTH_INVALID_GRANT',
          'The authorization code is invalid, expired or already used',
        )
      }
      const { row } = redeemed
      if (row.client_id !== client.id) {
        throw new OAuthProviderError(
          'OAUTH_INVALID_GRANT',
          'The authorization code was issued to another client',
        )
      }
      const redirectUri = params.get('redirect_uri')
      if (redirectUri !== null && redirectUri !== row.redirect_uri) {
        throw new OAuthProviderError(
          'OAUTH_INVALID_GRANT',
          'redirect_uri does not match the authorization request',
        )
      }
      if (!verifierMatches(verifier, row.code_challenge, row.code_challenge_method)) {
        throw new OAuthProviderError('OAUTH_INVALID_GRANT', 'code_verifier does not match the code_challenge')
      }
      if (!row.user_id)
        throw new OAuthProviderError('OAUTH_INVALID_GRANT', 'The authorization was not approved')
      const scopes = parseScope(row.scope)
      let session: Session & { session_id: string }
      try {
        session = await grants.issue({
          userId: row.user_id,
          clientId: client.id,
          scope: row.scope,
          sessionId,
          ...ctx,
        })
      } catch (error) {
        throw fromAuthError(error, 'OAUTH_INVALID_GRANT')
      }
      if (!(await authorizations.stillRedeemed(row.id))) {
        // Replayed while this session was being created: the replay found nothing to end yet.
        await grants.revokeSession(sessionId, client.id)
        throw new OAuthProviderError(
          'OAUTH_INVALID_GRANT',
          'The authorization code is invalid, expired or already used',
        )
      }
      return withIdToken(tokenResponse(session, client, scopes), session, client, scopes, {
        nonce: row.nonce,
        authTime: row.auth_time ? Math.floor(row.auth_time.getTime() / 1000) : null,
        amr: row.amr ?? [],
      })
    },

    /** `grant_type=refresh_token`: rotation with reuse detection (auth's), bound to the client. */
    async refreshToken(
      client: ClientRow,
      params: URLSearchParams,
      ctx: TokenContext,
    ): Promise<TokenResponse> {
      allow(client, 'refresh_token')
      const token = params.get('refresh_token')
      if (!token) throw new OAuthProviderError('OAUTH_INVALID_REQUEST', 'refresh_token is required')
      let session: Session
      try {
        session = await grants.refresh(token, client.id, ctx)
      } catch (error) {
        throw fromAuthError(error, 'OAUTH_INVALID_GRANT')
      }
      const granted = parseScope(grantedScopeOf(session))
      const asked = parseScope(params.get('scope'))
      // §6: a refresh may narrow the scope, never widen it (the token keeps the grant's scope).
      const unknown = asked.find((scope) => !granted.includes(scope))
      if (unknown !== undefined) {
        throw new OAuthProviderError(
          'OAUTH_INVALID_SCOPE',
          `The grant does not include the scope "${unknown.slice(0, 64)}"`,
        )
      }
      return withIdToken(tokenResponse(session, client, granted), session, client, granted, {})
    },

    /** `grant_type=client_credentials`: a confidential client's own token, acting for its app. */
    async clientCredentials(client: ClientRow, params: URLSearchParams): Promise<TokenResponse> {
      allow(client, 'client_credentials')
      if (client.client_type !== 'confidential') {
        throw new OAuthProviderError(
          'OAUTH_UNAUTHORIZED_CLIENT',
          'client_credentials needs a confidential client',
        )
      }
      const registered = parseScope(client.scope).filter((scope) =>
        (DATA_SCOPES as readonly string[]).includes(scope),
      )
      const scopes = grantedScopes(parseScope(params.get('scope')), registered.join(' '))
      const resource = params.get('resource')
      if (resource !== null) assertResource(resource, options.resources)
      const { access_token, expires_in } = await grants.clientCredentials({
        clientId: client.id,
        appId: client.app_id,
        scope: scopes.join(' '),
        allowedTables: client.allowed_tables,
        expiresIn: options.clientCredentialsLifetime,
        audience: resource ?? undefined,
      })
      return { access_token, token_type: 'Bearer', expires_in, scope: scopes.join(' ') }
    },
  }
}

/** The `scope` claim of a session's access token (what the grant covers). */
function grantedScopeOf(session: Session): string {
  const [, payload] = session.access_token.split('.')
  try {
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { scope?: unknown }
    return typeof claims.scope === 'string' ? claims.scope : ''
  } catch {
    return ''
  }
}
