import type { Auth } from '@groundwork/auth'
import type { Database } from '@groundwork/core'
import type { JWK } from 'jose'
import type { AuthorizationDetails, AuthorizationRedirect, Authorizations } from './authorize/authorizations'
import { cleanupOAuth, type OAuthCleanupResult } from './cleanup'
import type { ClientAuthenticator, ClientCredentialsInput } from './clients/authenticate'
import type { CreateClientInput, UpdateClientInput } from './clients/inputs'
import type { OAuthClient } from './clients/model'
import type { AdminContext, ClientPage, ClientStore } from './clients/store'
import { fromAuthError, OAuthProviderError } from './errors'
import type { createRateLimiter } from './internal/rate-limit'
import type { SigningKeys } from './oidc/keys'
import { createUserinfo } from './oidc/userinfo'
import type { ResolvedOAuthProviderOptions } from './options-schema'
import type { createGrants, TokenContext, TokenResponse } from './tokens/grants'
import { createIntrospection, type IntrospectionResponse } from './tokens/introspection'

/** A grant as `GET /user/oauth/grants` lists it (auth-js's `OAuthGrant`). */
export interface OAuthGrant {
  client: { id: string; name: string; uri: string; logo_uri: string }
  scopes: string[]
  granted_at: string
}

/**
 * `oauth.api`: the typed surface of the provider — what the handler calls, and what scripts call
 * in-process (clients, grants, tokens, keys). Methods throw `OAuthProviderError` (RFC error names).
 */
export interface OAuthProviderApi {
  /** Clients (the admin API, `groundwork oauth clients`). */
  readonly clients: {
    /** `ctx` names who acts, for auth's audit log (every change here is recorded there). */
    create(input: CreateClientInput | unknown, ctx?: AdminContext): Promise<OAuthClient>
    list(params?: { page?: number; perPage?: number }): Promise<ClientPage>
    get(clientId: string): Promise<OAuthClient>
    update(clientId: string, input: UpdateClientInput | unknown, ctx?: AdminContext): Promise<OAuthClient>
    /** Deletes the client and ends every grant to it. */
    delete(clientId: string, ctx?: AdminContext): Promise<void>
    /** A new secret (shown once); the old one stops working at once. */
    regenerateSecret(clientId: string, ctx?: AdminContext): Promise<OAuthClient>
  }
  /** RFC 7591 dynamic registration (rate-limited per address; no `app_id`, `allowed_tables` or client credentials). */
  register(metadata: unknown, ctx?: { ip?: string | undefined }): Promise<Record<string, unknown>>
  /** `GET /oauth/authorize`: where to send the browser (the consent page, or the client with an error). */
  authorize(params: URLSearchParams): Promise<{ location: string }>
  /** The consent API the host's consent page calls with the signed-in user's access token. */
  readonly consent: {
    details(
      authorizationId: string,
      userAccessToken: string,
    ): Promise<AuthorizationDetails | AuthorizationRedirect>
    decide(
      authorizationId: string,
      userAccessToken: string,
      action: 'approve' | 'deny',
    ): Promise<AuthorizationRedirect>
  }
  /** `POST /oauth/token`: authenticates the client and runs the grant. */
  token(input: ClientCredentialsInput, ctx?: TokenContext): Promise<TokenResponse>
  /** `POST /oauth/revoke` (RFC 7009): authenticates the client, revokes its token if it is one. */
  revokeRequest(input: ClientCredentialsInput): Promise<void>
  /** `POST /oauth/introspect` (RFC 7662): authenticates the client; its own tokens only. */
  introspectRequest(input: ClientCredentialsInput): Promise<IntrospectionResponse>
  /** `GET /oauth/userinfo` (OIDC Core §5.3) for an access token with the `openid` scope. */
  userinfo(accessToken: string): Promise<Record<string, unknown>>
  /** A user's grants, by their access token (`GET|DELETE /user/oauth/grants`), or by id from scripts. */
  readonly grants: {
    list(userAccessToken: string): Promise<OAuthGrant[]>
    revoke(userAccessToken: string, clientId: string): Promise<void>
    listForUser(userId: string): Promise<OAuthGrant[]>
    /** Ends the grant: its consent and every session (tokens) of it. */
    revokeForUser(userId: string, clientId: string): Promise<void>
  }
  /** Tokens from scripts (trusted: no client authentication). */
  readonly tokens: {
    /** A client-credentials token for `clientId`, as the token endpoint would issue. */
    issueClientCredentials(clientId: string, options?: { scope?: string }): Promise<TokenResponse>
    /** Revokes any token of `clientId` (RFC 7009 semantics). */
    revoke(token: string, clientId: string): Promise<boolean>
    /** RFC 7662 for any token, whichever client it belongs to. */
    introspect(token: string): Promise<IntrospectionResponse>
  }
  /** id_token signing keys: rotate (the new key signs at once, old ones stay published), retire, list. */
  readonly keys: Pick<SigningKeys, 'rotate' | 'retire' | 'list'>
  /** The JWKS: auth's access-token keys and the id_token keys. */
  jwks(): Promise<{ keys: JWK[] }>
  /** Deletes expired authorization requests, used assertion ids and old rate-limit windows. */
  cleanup(): Promise<OAuthCleanupResult>
}

/** Builds {@link OAuthProviderApi}. */
export function createProviderApi(deps: {
  db: Database
  auth: Pick<Auth, 'api'>
  options: ResolvedOAuthProviderOptions
  clients: ClientStore
  authenticateClient: ClientAuthenticator
  authorizations: Authorizations
  grants: ReturnType<typeof createGrants>
  keys: SigningKeys
  limit: ReturnType<typeof createRateLimiter>
}): OAuthProviderApi {
  const { db, auth, options, clients, authenticateClient, authorizations, grants, keys, limit } = deps
  const oauthGrants = auth.api.oauthGrants

  async function userIdOf(accessToken: string): Promise<string> {
    try {
      const { user, claims } = await auth.api.verifyAccessToken(accessToken)
      if (claims.client_id !== undefined) {
        throw new OAuthProviderError('OAUTH_FORBIDDEN', 'An OAuth access token cannot manage grants')
      }
      return user.id
    } catch (error) {
      throw fromAuthError(error, 'OAUTH_INVALID_TOKEN')
    }
  }

  async function listForUser(userId: string): Promise<OAuthGrant[]> {
    const { rows } = await db.query<{
      id: string
      client_name: string
      client_uri: string | null
      logo_uri: string | null
      scopes: string[]
      granted_at: Date
    }>(
      `select c.id, c.client_name, c.client_uri, c.logo_uri, g.scopes, g.granted_at
       from oauth.consents g join oauth.clients c on c.id = g.client_id
       where g.user_id = $1 order by g.granted_at desc`,
      [userId],
    )
    return rows.map((row) => ({
      client: { id: row.id, name: row.client_name, uri: row.client_uri ?? '', logo_uri: row.logo_uri ?? '' },
      scopes: row.scopes,
      granted_at: row.granted_at.toISOString(),
    }))
  }

  async function revokeForUser(userId: string, clientId: string): Promise<void> {
    if (!/^[0-9a-f-]{36}$/i.test(clientId))
      throw new OAuthProviderError('OAUTH_NOT_FOUND', 'No grant for that client')
    await db.query('delete from oauth.consents where user_id = $1 and client_id = $2', [userId, clientId])
    await oauthGrants.revokeGrant(userId, clientId)
  }

  const introspect = createIntrospection(auth, options.issuer)

  return {
    clients: {
      create: (input, ctx) => clients.create(input, 'manual', ctx),
      list: (params) => clients.list(params),
      get: (clientId) => clients.get(clientId),
      update: (clientId, input, ctx) => clients.update(clientId, input, ctx),
      delete: (clientId, ctx) => clients.delete(clientId, ctx),
      regenerateSecret: (clientId, ctx) => clients.regenerateSecret(clientId, ctx),
    },

    async register(metadata, ctx = {}) {
      await limit(`register:${ctx.ip ?? 'unknown'}`, options.registrationRateLimit, 3600)
      if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
        throw new OAuthProviderError(
          'OAUTH_INVALID_CLIENT_METADATA',
          'The body must be a JSON object of client metadata',
        )
      }
      const {
        app_id: _app,
        allowed_tables: _tables,
        client_type: _type,
        ...rest
      } = metadata as Record<string, unknown>
      const grantTypes = rest.grant_types
      if (Array.isArray(grantTypes) && grantTypes.includes('client_credentials')) {
        throw new OAuthProviderError(
          'OAUTH_INVALID_CLIENT_METADATA',
          'grant_types: client_credentials cannot be registered dynamically',
        )
      }
      const created = await clients.create(rest, 'dynamic', {
        actor: 'dynamic_registration',
        ip: ctx.ip,
      })
      const {
        client_type: _t,
        registration_type: _r,
        app_id: _a,
        created_at,
        updated_at: _u,
        ...fields
      } = created
      return {
        ...fields,
        client_id_issued_at: Math.floor(new Date(created_at).getTime() / 1000),
        ...(created.client_secret ? { client_secret_expires_at: 0 } : {}),
      }
    },

    authorize: (params) => authorizations.authorize(params),

    consent: {
      details: (id, token) => authorizations.details(id, token),
      decide: (id, token, action) => authorizations.consent(id, token, action),
    },

    async token(input, ctx = {}) {
      await limit(`token:${ctx.ip ?? 'unknown'}`, options.tokenRateLimit, 60)
      const grantType = input.params.get('grant_type')
      if (!grantType) throw new OAuthProviderError('OAUTH_INVALID_REQUEST', 'grant_type is required')
      if (!['authorization_code', 'refresh_token', 'client_credentials'].includes(grantType)) {
        throw new OAuthProviderError('OAUTH_UNSUPPORTED_GRANT_TYPE', 'Unsupported grant_type')
      }
      const client = await authenticateClient(input)
      if (grantType === 'authorization_code') return grants.authorizationCode(client, input.params, ctx)
      if (grantType === 'refresh_token') return grants.refreshToken(client, input.params, ctx)
      return grants.clientCredentials(client, input.params)
    },

    async revokeRequest(input) {
      const client = await authenticateClient(input)
      const token = input.params.get('token')
      if (!token) throw new OAuthProviderError('OAUTH_INVALID_REQUEST', 'token is required')
      await oauthGrants.revoke(token, client.id)
    },

    async introspectRequest(input) {
      const client = await authenticateClient(input)
      const token = input.params.get('token')
      if (!token) throw new OAuthProviderError('OAUTH_INVALID_REQUEST', 'token is required')
      return introspect(token, client.id)
    },

    userinfo: createUserinfo(auth),

    grants: {
      list: async (token) => listForUser(await userIdOf(token)),
      revoke: async (token, clientId) => revokeForUser(await userIdOf(token), clientId),
      listForUser,
      revokeForUser,
    },

    tokens: {
      async issueClientCredentials(clientId, tokenOptions = {}) {
        const client = await clients.find(clientId)
        if (!client) throw new OAuthProviderError('OAUTH_NOT_FOUND', 'OAuth client not found')
        const params = new URLSearchParams(tokenOptions.scope ? { scope: tokenOptions.scope } : {})
        return grants.clientCredentials(client, params)
      },
      revoke: (token, clientId) => oauthGrants.revoke(token, clientId),
      introspect: (token) => introspect(token, null),
    },

    keys: { rotate: keys.rotate, retire: keys.retire, list: keys.list },

    async jwks() {
      const [own, ids] = await Promise.all([auth.api.jwks(), keys.published()])
      return { keys: [...own.keys, ...ids] }
    },

    cleanup: () => cleanupOAuth(db),
  }
}
