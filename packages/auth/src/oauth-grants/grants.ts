import { randomUUID } from 'node:crypto'
import type { Queryable } from '../db'
import { AuthError } from '../errors'
import { hashToken } from '../secrets'
import type { AuthServices } from '../services'
import type { AccessTokenClaims } from '../sessions/jwt'
import type { Session } from '../sessions/types'
import { isUuid } from '../users/validation'
import { CLIENT_CREDENTIALS_GTY, isClientCredentialsToken } from './principal'

/** What {@link OAuthGrantsApi.issue} takes: the user, the client and the scope they consented to. */
export interface IssueGrantInput {
  userId: string
  clientId: string
  /** Space-separated granted scope (`openid profile email offline_access`…). */
  scope: string
  ip?: string | undefined
  userAgent?: string | null | undefined
  /**
   * The grant session's id (a UUID) when the caller chose it beforehand — the provider records it
   * on the authorization code in the statement that redeems the code. A fresh one when absent.
   */
  sessionId?: string | undefined
}

/** What {@link OAuthGrantsApi.clientCredentials} takes. */
export interface ClientCredentialsTokenInput {
  clientId: string
  /** The app the client belongs to: `app_id` claim, and the principal's `app`. */
  appId: string | null
  /** Space-separated scope; `read`/`write`/`admin` narrow the principal as an app key's scopes do. */
  scope: string
  /** Schema-qualified tables the token may touch; null: any. */
  allowedTables: readonly string[] | null
  /** Seconds the token lives. */
  expiresIn: number
  /** The `aud` claim (RFC 8707 `resource`, else the default audience). */
  audience?: string | undefined
}

/** An active token's claims, as introspection (RFC 7662) reports them. */
export interface IntrospectedToken {
  claims: AccessTokenClaims
  /** `client_credentials`, or `user` for a grant's (or any session's) token. */
  kind: 'client_credentials' | 'user'
}

/**
 * `auth.api.oauthGrants`: the part of auth the OAuth provider (`@groundwork/oauth-provider`)
 * builds on — a user's grant to a client is an auth session carrying `client_id` and `scope`, so
 * its refresh tokens rotate with auth's reuse detection and `auth.authenticate` accepts its access
 * tokens (RFC 9068 profile) natively; client-credentials tokens are stateless JWTs with a `jti`.
 * Trusted in-process calls: the provider authenticates clients before calling.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9068
 */
export interface OAuthGrantsApi {
  /** Starts a grant: a session of `userId` bound to `clientId` with `scope`, and its tokens. */
  issue(input: IssueGrantInput): Promise<Session & { session_id: string }>
  /**
   * The `refresh_token` grant for `clientId` (rotation and reuse detection as every session: a
   * reuse ends the grant's session). 400 `refresh_token_not_found` for another client's token.
   */
  refresh(
    refreshToken: string,
    clientId: string,
    ctx?: { ip?: string; userAgent?: string | null },
  ): Promise<Session>
  /** Signs a client-credentials access token (RFC 9068, `gty: client_credentials`, a fresh `jti`). */
  clientCredentials(
    input: ClientCredentialsTokenInput,
  ): Promise<{ access_token: string; expires_in: number; jti: string }>
  /**
   * RFC 7009 for `clientId`'s token: a refresh or access token of its grant ends that session; a
   * client-credentials token's `jti` is revoked until it expires. False when the token is not the
   * client's (nothing happens, as the RFC requires the answer to be the same).
   */
  revoke(token: string, clientId: string): Promise<boolean>
  /** Ends every session of `userId`'s grant to `clientId`; the number ended. */
  revokeGrant(userId: string, clientId: string): Promise<number>
  /** Ends one grant session of `clientId` (a replayed authorization code ends what it started). */
  revokeSession(sessionId: string, clientId: string): Promise<boolean>
  /** Ends every grant session of `clientId` (client deleted or its secret leaked). */
  revokeClient(clientId: string): Promise<number>
  /** An access token's claims when it is active (signature, expiry, session or `jti` still valid), else null. */
  introspect(token: string): Promise<IntrospectedToken | null>
  /** The client a refresh token belongs to (null: unknown token or a sign-in's), for RFC 7662. */
  refreshTokenClient(
    refreshToken: string,
  ): Promise<{ clientId: string | null; userId: string; scope: string | null } | null>
}

/** Builds {@link OAuthGrantsApi} over auth's services. */
export function createOAuthGrantsApi(services: AuthServices): OAuthGrantsApi {
  const { db, signer, options } = services

  async function sessionAlive(q: Queryable, sessionId: string, userId: string): Promise<boolean> {
    const { rows } = await q.query<{ ok: boolean }>(
      `select exists (select 1 from auth.sessions s join auth.users u on u.id = s.user_id
         where s.id = $1::uuid and s.user_id = $2::uuid and (s.not_after is null or s.not_after > now())
           and u.deleted_at is null and (u.banned_until is null or u.banned_until <= now())) as ok`,
      [sessionId, userId],
    )
    return rows[0]?.ok === true
  }

  async function verified(token: string): Promise<AccessTokenClaims | null> {
    if (typeof token !== 'string' || token === '' || token.length > 16_384) return null
    try {
      return await signer.verify(token, { requireAudience: false })
    } catch {
      return null
    }
  }

  return {
    async issue(input) {
      if (!isUuid(input.userId)) throw new AuthError('user_not_found', 'User not found', { status: 404 })
      if (input.sessionId !== undefined && !isUuid(input.sessionId)) {
        throw new AuthError('validation_failed', 'sessionId must be a UUID', { status: 400 })
      }
      // No transaction: the session, its refresh token and nothing else are one INSERT statement,
      // and a user deleted after the lookup makes that INSERT fail on its foreign key.
      const user = await services.users.findById(db, input.userId)
      if (!user || user.deleted_at) throw new AuthError('user_not_found', 'User not found', { status: 404 })
      const session = await services.sessions.issue(db, user, {
        amr: 'oauth',
        ip: input.ip,
        userAgent: input.userAgent ?? null,
        oauthClientId: input.clientId,
        scope: input.scope,
        sessionId: input.sessionId,
      })
      // The token was signed just now: its payload is read, not verified again.
      const payload = session.access_token.split('.')[1] ?? ''
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as AccessTokenClaims
      return { ...session, session_id: claims.session_id }
    },

    refresh: (refreshToken, clientId, ctx = {}) =>
      services.transact((tx) =>
        services.sessions.refresh(tx, refreshToken, {
          ip: ctx.ip,
          userAgent: ctx.userAgent,
          oauthClientId: clientId,
        }),
      ),

    async clientCredentials(input) {
      const iat = Math.floor(Date.now() / 1000)
      const jti = randomUUID()
      const claims: Record<string, unknown> = {
        iss: services.externalUrl,
        sub: input.clientId,
        aud: input.audience ?? options.jwt.audience,
        exp: iat + input.expiresIn,
        iat,
        jti,
        role: services.roles.defaultUserRole,
        client_id: input.clientId,
        scope: input.scope,
        gty: CLIENT_CREDENTIALS_GTY,
      }
      if (input.appId) claims.app_id = input.appId
      if (input.allowedTables) claims.allowed_tables = [...input.allowedTables]
      const accessToken = await signer.sign(claims, { typ: 'at+jwt' })
      return { access_token: accessToken, expires_in: input.expiresIn, jti }
    },

    async revoke(token, clientId) {
      if (typeof token !== 'string' || token === '' || token.length > 16_384) return false
      // A refresh token of the client's grant: end its session.
      const byRefresh = await db.query(
        `delete from auth.sessions s using auth.refresh_tokens t
         where t.token_hash = $1 and s.id = t.session_id and s.oauth_client_id = $2`,
        [hashToken(token), clientId],
      )
      if ((byRefresh.rowCount ?? 0) > 0) return true
      const claims = await verified(token)
      if (!claims || claims.client_id !== clientId) return false
      if (isClientCredentialsToken(claims) && typeof claims.jti === 'string') {
        await db.query(
          `insert into auth.oauth_revoked_tokens (jti, expires_at) values ($1, to_timestamp($2))
           on conflict (jti) do nothing`,
          [claims.jti, claims.exp],
        )
        return true
      }
      if (typeof claims.session_id === 'string' && isUuid(claims.session_id)) {
        const ended = await db.query(
          'delete from auth.sessions where id = $1::uuid and oauth_client_id = $2',
          [claims.session_id, clientId],
        )
        return (ended.rowCount ?? 0) > 0
      }
      return false
    },

    async revokeGrant(userId, clientId) {
      if (!isUuid(userId)) return 0
      const { rowCount } = await db.query(
        'delete from auth.sessions where user_id = $1 and oauth_client_id = $2',
        [userId, clientId],
      )
      return rowCount ?? 0
    },

    async revokeSession(sessionId, clientId) {
      if (!isUuid(sessionId)) return false
      const { rowCount } = await db.query(
        'delete from auth.sessions where id = $1 and oauth_client_id = $2',
        [sessionId, clientId],
      )
      return (rowCount ?? 0) > 0
    },

    async revokeClient(clientId) {
      const { rowCount } = await db.query('delete from auth.sessions where oauth_client_id = $1', [clientId])
      return rowCount ?? 0
    },

    async introspect(token) {
      const claims = await verified(token)
      if (!claims) return null
      if (isClientCredentialsToken(claims)) {
        const { rows } = await db.query<{ revoked: boolean }>(
          'select exists (select 1 from auth.oauth_revoked_tokens where jti = $1) as revoked',
          [String(claims.jti ?? '')],
        )
        return rows[0]?.revoked ? null : { claims, kind: 'client_credentials' }
      }
      if (typeof claims.sub !== 'string' || !isUuid(claims.sub)) return null
      if (typeof claims.session_id !== 'string' || !isUuid(claims.session_id)) return null
      return (await sessionAlive(db, claims.session_id, claims.sub)) ? { claims, kind: 'user' } : null
    },

    async refreshTokenClient(refreshToken) {
      if (typeof refreshToken !== 'string' || refreshToken === '' || refreshToken.length > 1024) return null
      const { rows } = await db.query<{
        oauth_client_id: string | null
        user_id: string
        scope: string | null
      }>(
        `select s.oauth_client_id, s.user_id, s.scope from auth.refresh_tokens t join auth.sessions s on s.id = t.session_id
         where t.token_hash = $1 and not t.revoked and (s.not_after is null or s.not_after > now())`,
        [hashToken(refreshToken)],
      )
      const row = rows[0]
      return row ? { clientId: row.oauth_client_id, userId: row.user_id, scope: row.scope } : null
    },
  }
}
