import type { Auth, User } from '@groundwork/auth'
import type { Database } from '@groundwork/core'
import type { ClientRow } from '../clients/model'
import { redirectUriMatches } from '../clients/redirect-uri'
import type { ClientStore } from '../clients/store'
import { fromAuthError, OAuthProviderError, type OAuthProviderErrorCode } from '../errors'
import { randomSecret, sha256Hex } from '../internal/secrets'
import type { ResolvedOAuthProviderOptions } from '../options-schema'
import { parseAuthorizationRequest } from './request'

/** A row of `oauth.authorizations`. */
export interface AuthorizationRow {
  id: string
  client_id: string
  redirect_uri: string
  scope: string
  state: string | null
  nonce: string | null
  resource: string | null
  code_challenge: string
  code_challenge_method: 'S256' | 'plain'
  user_id: string | null
  status: 'pending' | 'approved' | 'denied' | 'redeemed' | 'replayed'
  auth_time: Date | null
  amr: string[] | null
  session_id: string | null
  expires_at: Date
}

const COLUMNS =
  'id, client_id, redirect_uri, scope, state, nonce, resource, code_challenge, code_challenge_method, user_id, status, auth_time, amr, session_id, expires_at'

/** Consent details, as auth-js's `OAuthAuthorizationDetails`. */
export interface AuthorizationDetails {
  authorization_id: string
  redirect_uri: string
  client: { id: string; name: string; uri: string; logo_uri: string }
  user: { id: string; email: string }
  scope: string
}

/** Where the browser goes next (auth-js's `OAuthRedirect`). */
export interface AuthorizationRedirect {
  redirect_url: string
}

/** The authorization endpoint's outcome: where to send the browser. */
export interface AuthorizeResult {
  location: string
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const MAX_PARAM = 2048

/**
 * The authorization endpoint and the consent API behind the host's consent page.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 * @see https://www.rfc-editor.org/rfc/rfc9207 (the `iss` response parameter)
 */
export function createAuthorizations(deps: {
  db: Database
  auth: Pick<Auth, 'api'>
  clients: ClientStore
  options: ResolvedOAuthProviderOptions
}) {
  const { db, auth, clients, options } = deps
  const consentBase = new URL(options.consentUrl, `${new URL(options.issuer).origin}/`)

  /** `uri` with `params` appended to its query (RFC 6749 §4.1.2: keep the existing query). */
  function withParams(uri: string, params: Record<string, string | null | undefined>): string {
    const url = new URL(uri)
    for (const [key, value] of Object.entries(params)) if (value != null) url.searchParams.append(key, value)
    return url.toString()
  }

  /** An error sent back to the client's redirect URI (§4.1.2.1) with `state` and `iss`. */
  function errorRedirect(
    redirectUri: string,
    state: string | null,
    code: OAuthProviderErrorCode,
    description: string,
  ) {
    const error = new OAuthProviderError(code, description).error
    return {
      location: withParams(redirectUri, {
        error,
        error_description: description,
        state,
        iss: options.issuer,
      }),
    }
  }

  async function userOf(
    accessToken: string,
  ): Promise<{ user: User; authTime: number | null; amr: string[] }> {
    try {
      const { user, claims } = await auth.api.verifyAccessToken(accessToken)
      // A grant's own token is a third party's: it may never consent on the user's behalf.
      if (claims.client_id !== undefined) {
        throw new OAuthProviderError('OAUTH_FORBIDDEN', 'An OAuth access token cannot approve authorizations')
      }
      const times = (claims.amr ?? []).map((entry) => entry.timestamp).filter((t) => typeof t === 'number')
      return {
        user,
        authTime: times.length > 0 ? Math.max(...times) : null,
        amr: [...new Set((claims.amr ?? []).map((entry) => entry.method))],
      }
    } catch (error) {
      throw fromAuthError(error, 'OAUTH_INVALID_TOKEN')
    }
  }

  async function pending(id: string, userId: string): Promise<AuthorizationRow> {
    if (typeof id !== 'string' || !UUID.test(id))
      throw new OAuthProviderError('OAUTH_NOT_FOUND', 'Authorization not found')
    // Bind it to the first user who opens it; another user then cannot see or approve it.
    const { rows } = await db.query<AuthorizationRow>(
      `update oauth.authorizations set user_id = coalesce(user_id, $2)
       where id = $1 and status = 'pending' and expires_at > now() and (user_id is null or user_id = $2)
       returning ${COLUMNS}`,
      [id, userId],
    )
    const row = rows[0]
    if (!row) throw new OAuthProviderError('OAUTH_NOT_FOUND', 'Authorization not found or expired')
    return row
  }

  async function approve(
    row: AuthorizationRow,
    authTime: number | null,
    amr: string[],
  ): Promise<AuthorizationRedirect> {
    const code = randomSecret()
    const { rowCount } = await db.query(
      `with a as (update oauth.authorizations set status = 'approved', code_hash = $2, auth_time = to_timestamp($4),
                    amr = $5, expires_at = now() + make_interval(secs => $3)
                  where id = $1 and status = 'pending' returning client_id, user_id, scope)
       insert into oauth.consents (user_id, client_id, scopes)
       select user_id, client_id, string_to_array(scope, ' ') from a
       on conflict (user_id, client_id) do update
         set scopes = (select array_agg(distinct s) from unnest(oauth.consents.scopes || excluded.scopes) s),
             granted_at = now()`,
      [row.id, sha256Hex(code), options.codeLifetime, authTime, JSON.stringify(amr)],
    )
    if (rowCount === 0) throw new OAuthProviderError('OAUTH_NOT_FOUND', 'Authorization not found or expired')
    return { redirect_url: withParams(row.redirect_uri, { code, state: row.state, iss: options.issuer }) }
  }

  /** The part of `authorize` after the redirect URI is known good: the request row, then consent. */
  async function validated(
    client: ClientRow,
    redirectUri: string,
    single: (name: string) => string | null,
  ): Promise<AuthorizeResult> {
    const request = parseAuthorizationRequest(client, single, options)
    const { rows } = await db.query<{ id: string }>(
      `insert into oauth.authorizations (client_id, redirect_uri, scope, state, nonce, resource, code_challenge,
         code_challenge_method, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9)) returning id`,
      [
        client.id,
        redirectUri,
        request.scopes.join(' '),
        single('state'),
        single('nonce'),
        request.resource,
        request.challenge,
        request.method,
        options.authorizationLifetime,
      ],
    )
    const consent = new URL(consentBase)
    consent.searchParams.set('authorization_id', (rows[0] as { id: string }).id)
    return { location: consent.toString() }
  }

  return {
    /**
     * `GET /oauth/authorize`: validates the client and redirect URI first — errors there are
     * answered, never redirected (§4.1.2.1) — then everything else, whose errors go back to the
     * client with `state` and `iss`. On success the browser goes to the consent page with
     * `authorization_id`.
     */
    async authorize(params: URLSearchParams): Promise<AuthorizeResult> {
      for (const [key, value] of params) {
        if (value.length > MAX_PARAM)
          throw new OAuthProviderError('OAUTH_INVALID_REQUEST', `${key.slice(0, 64)} is too long`)
      }
      const single = (name: string) => {
        const values = params.getAll(name)
        if (values.length > 1) throw new OAuthProviderError('OAUTH_INVALID_REQUEST', `${name} is repeated`)
        return values[0] ?? null
      }
      const clientId = single('client_id')
      if (!clientId) throw new OAuthProviderError('OAUTH_INVALID_REQUEST', 'client_id is required')
      const client = await clients.find(clientId)
      if (!client) throw new OAuthProviderError('OAUTH_INVALID_CLIENT', 'Unknown client_id')
      let redirectUri = single('redirect_uri')
      if (redirectUri === null) {
        // OAuth 2.1 §4.1.1: may be omitted only when exactly one is registered.
        if (client.redirect_uris.length !== 1)
          throw new OAuthProviderError('OAUTH_INVALID_REQUEST', 'redirect_uri is required')
        redirectUri = client.redirect_uris[0] as string
      } else if (!redirectUriMatches(redirectUri, client.redirect_uris)) {
        throw new OAuthProviderError(
          'OAUTH_INVALID_REQUEST',
          'redirect_uri does not match a registered redirect URI',
        )
      }
      // From here on, errors are redirected.
      const state = params.get('state')
      try {
        return await validated(client, redirectUri, single)
      } catch (error) {
        if (error instanceof OAuthProviderError && error.status < 500) {
          return errorRedirect(redirectUri, state, error.code, error.message)
        }
        throw error
      }
    },

    /**
     * `GET /oauth/authorizations/{id}` with the user's token: the details the consent page shows,
     * or `{ redirect_url }` at once when the user's earlier consent covers every scope asked.
     */
    async details(id: string, accessToken: string): Promise<AuthorizationDetails | AuthorizationRedirect> {
      const { user, authTime, amr } = await userOf(accessToken)
      const row = await pending(id, user.id)
      const { rows } = await db.query<{ covered: boolean }>(
        `select coalesce((select string_to_array($3, ' ') <@ scopes from oauth.consents where user_id = $1 and client_id = $2), false) as covered`,
        [user.id, row.client_id, row.scope],
      )
      if (rows[0]?.covered) return approve(row, authTime, amr)
      const client = await clients.find(row.client_id)
      if (!client) throw new OAuthProviderError('OAUTH_NOT_FOUND', 'Authorization not found')
      return {
        authorization_id: row.id,
        redirect_uri: row.redirect_uri,
        client: {
          id: client.id,
          name: client.client_name,
          uri: client.client_uri ?? '',
          logo_uri: client.logo_uri ?? '',
        },
        user: { id: user.id, email: user.email ?? '' },
        scope: row.scope,
      }
    },

    /** `POST /oauth/authorizations/{id}/consent` with `{ action }`: where the browser goes next. */
    async consent(
      id: string,
      accessToken: string,
      action: 'approve' | 'deny',
    ): Promise<AuthorizationRedirect> {
      const { user, authTime, amr } = await userOf(accessToken)
      const row = await pending(id, user.id)
      if (action === 'approve') return approve(row, authTime, amr)
      await db.query(`update oauth.authorizations set status = 'denied' where id = $1`, [row.id])
      const denied = errorRedirect(
        row.redirect_uri,
        row.state,
        'OAUTH_ACCESS_DENIED',
        'The user denied the request',
      )
      return { redirect_url: denied.location }
    },

    /**
     * Redeems a code (one use, RFC 6749 §4.1.2): one statement marks it used and records
     * `sessionId`, the id the grant session it starts will have (chosen beforehand). A code seen
     * again by the client it was issued to is marked `replayed` and answers `{ replayed }` with the
     * first redemption's row, whose session the caller ends; the first redemption calls {@link stillRedeemed} once its session
     * exists, so a replay in between is caught by one side or the other.
     */
    async redeem(
      code: string,
      sessionId: string,
      clientId: string,
    ): Promise<{ row: AuthorizationRow } | { replayed: AuthorizationRow | null }> {
      if (code.length > 512) return { replayed: null }
      const hash = sha256Hex(code)
      const { rows } = await db.query<AuthorizationRow>({
        name: 'groundwork_oauth_redeem_code',
        text: `update oauth.authorizations set status = 'redeemed', session_id = $2 where code_hash = $1 and status = 'approved'
         and expires_at > now() returning ${COLUMNS}`,
        values: [hash, sessionId],
      })
      if (rows[0]) return { row: rows[0] }
      // Only the client the code was issued to can end its grant by presenting it again; another
      // client's attempt is just an invalid grant.
      const seen = await db.query<AuthorizationRow>(
        `update oauth.authorizations set status = 'replayed' where code_hash = $1 and status in ('redeemed', 'replayed')
         and client_id = $2 returning ${COLUMNS}`,
        [hash, clientId],
      )
      return { replayed: seen.rows[0] ?? null }
    },

    /**
     * Whether authorization `id` is still plainly `redeemed` — false once its code was replayed.
     * Asked after the grant session exists: a replay marked before this read is seen here, and
     * one marked after it finds the session to end.
     */
    async stillRedeemed(id: string): Promise<boolean> {
      const { rows } = await db.query<{ status: string }>({
        name: 'groundwork_oauth_code_status',
        text: 'select status from oauth.authorizations where id = $1',
        values: [id],
      })
      return rows[0]?.status === 'redeemed'
    },
  }
}

/** What {@link createAuthorizations} returns. */
export type Authorizations = ReturnType<typeof createAuthorizations>
