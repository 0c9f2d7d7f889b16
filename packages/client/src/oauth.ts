/**
 * `@groundwork/client/oauth`: the user's side of Groundwork's OAuth 2.1 provider
 * (`@groundwork/oauth-provider`, mounted under `/auth/v1`) — the calls a host's consent page
 * makes, and the signed-in user's grants ("connected apps") with a way to revoke them.
 *
 * The endpoints and JSON are Supabase Auth's OAuth server's, so auth-js's `auth.oauth.*` calls
 * them too. This module does the same on the connection — whatever token source it has — and
 * answers `{ data, error }` with a `GroundworkClientError` like the other Groundwork modules;
 * it never navigates: {@link GroundworkOAuthClient.approve} hands back the `redirect_url`, the page
 * decides when to follow it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1 — the authorization code grant
 * @see https://supabase.com/docs/guides/auth/oauth-server/getting-started — the consent page's contract
 * @see https://github.com/groundwork/groundwork/blob/main/docs/oauth-provider.md#the-consent-page
 */
import type { GroundworkConnection } from './connection'
import { type ClientResult, callJson } from './errors'

/** The third-party app asking for access, as the consent page shows it (auth-js's `OAuthAuthorizationClient`). */
export interface OAuthAuthorizationClient {
  /** The client id (a UUID). */
  id: string
  /** `client_name` as registered. Chosen by the client's owner: render it as text, never as HTML. */
  name: string
  /** `client_uri`; `''` when none was registered. */
  uri: string
  /** `logo_uri`; `''` when none was registered. */
  logo_uri: string
}

/** A pending authorization request the user must decide on (auth-js's `OAuthAuthorizationDetails`). */
export interface OAuthAuthorizationDetails {
  authorization_id: string
  /** Where the browser returns after the decision (without the `code`, `state` and `iss` still to come). */
  redirect_uri: string
  client: OAuthAuthorizationClient
  /** The signed-in user, who owns the request from the first time they open it. */
  user: { id: string; email: string }
  /** Space-separated scopes asked for (RFC 6749 §3.3), e.g. `openid email`. */
  scope: string
}

/**
 * Where to send the browser next (auth-js's `OAuthRedirect`): the client's redirect URI with
 * `code`, `state` and `iss` (RFC 6749 §4.1.2, RFC 9207), or with `error=access_denied` after a
 * denial (§4.1.2.1).
 */
export interface OAuthRedirect {
  redirect_url: string
}

/** A client the user has let in, and what they let it do (auth-js's `OAuthGrant`). */
export interface OAuthGrant {
  client: OAuthAuthorizationClient
  /** Every scope consented to so far (consents to the same client accumulate). */
  scopes: string[]
  /** ISO 8601: the latest consent. */
  granted_at: string
}

/** What {@link createOAuthClient} returns. */
export interface GroundworkOAuthClient {
  /**
   * The `authorization_id` the authorization endpoint put on the consent page's URL, or null
   * when it is missing (a bookmarked or mistyped page).
   *
   * @param url The consent page's URL. @default location.href (null outside a browser)
   */
  readAuthorizationId(url?: string | URL): string | null
  /**
   * What the request asks for, to show the user; or `{ redirect_url }` when their earlier consent
   * to this client already covers every scope asked — follow it, there is nothing to ask. Narrow
   * with `'redirect_url' in data`.
   */
  getAuthorizationDetails(
    authorizationId: string,
  ): Promise<ClientResult<OAuthAuthorizationDetails | OAuthRedirect>>
  /** Grants the request: its consent is stored and `redirect_url` carries the authorization code. */
  approve(authorizationId: string): Promise<ClientResult<OAuthRedirect>>
  /** Refuses the request: `redirect_url` carries `error=access_denied`; nothing is stored. */
  deny(authorizationId: string): Promise<ClientResult<OAuthRedirect>>
  /** The signed-in user's grants, the latest first. */
  listGrants(): Promise<ClientResult<OAuthGrant[]>>
  /**
   * Ends the grant to `clientId`: its consent, and every token issued under it — the client's
   * refresh token is refused from then on, its access tokens on their next use.
   */
  revokeGrant(clientId: string): Promise<ClientResult<null>>
}

/**
 * Creates the OAuth client. Every call needs a signed-in session of the user themselves: an OAuth
 * access token (one issued to a client) is refused, so a third party never consents for the user.
 *
 * @example
 * ```ts
 * // The consent page (the provider's `consentUrl`), with the user signed in:
 * const oauth = createOAuthClient(connection)
 * const id = oauth.readAuthorizationId()
 * if (!id) return showError('This page needs an authorization_id')
 * const { data, error } = await oauth.getAuthorizationDetails(id)
 * if (error) return showError(error.message)
 * if ('redirect_url' in data) return location.assign(data.redirect_url)
 * showConsent(data.client.name, data.scope.split(' '))
 * const decision = await (allowed ? oauth.approve(data.authorization_id) : oauth.deny(data.authorization_id))
 * if (decision.data) location.assign(decision.data.redirect_url)
 * ```
 * @see https://supabase.com/docs/reference/javascript/oauth-server-getauthorizationdetails
 */
export function createOAuthClient(connection: GroundworkConnection): GroundworkOAuthClient {
  const endpoint = (path: string) => `${connection.serviceUrl('auth')}${path}`
  const decide = (authorizationId: string, action: 'approve' | 'deny') =>
    callJson<OAuthRedirect>(
      connection.fetch,
      endpoint(`/oauth/authorizations/${encodeURIComponent(authorizationId)}/consent`),
      { method: 'POST', body: { action } },
    )
  return {
    readAuthorizationId(url = globalThis.location?.href) {
      if (url === undefined || !URL.canParse(url)) return null
      return new URL(url).searchParams.get('authorization_id') || null
    },
    getAuthorizationDetails: (authorizationId) =>
      callJson(connection.fetch, endpoint(`/oauth/authorizations/${encodeURIComponent(authorizationId)}`), {
        method: 'GET',
      }),
    approve: (authorizationId) => decide(authorizationId, 'approve'),
    deny: (authorizationId) => decide(authorizationId, 'deny'),
    listGrants: () => callJson(connection.fetch, endpoint('/user/oauth/grants'), { method: 'GET' }),
    revokeGrant: (clientId) =>
      callJson(connection.fetch, endpoint(`/user/oauth/grants?client_id=${encodeURIComponent(clientId)}`), {
        method: 'DELETE',
      }),
  }
}
