import type { User } from '../users/json'
import type { AmrEntry } from './jwt'

/** A row of `auth.sessions`. */
export interface SessionRow {
  id: string
  user_id: string
  aal: string
  amr: AmrEntry[]
  created_at: Date
  updated_at: Date
  not_after: Date | null
  refreshed_at: Date | null
  user_agent: string | null
  ip: string | null
  refresh_token_hmac_key: string
  refresh_token_counter: string
  /** The OAuth client whose grant this session is (`@groundwork/oauth-provider`); null for sign-ins. */
  oauth_client_id?: string | null
  /** The scope granted to that client (space-separated); null for sign-ins. */
  scope?: string | null
}

/**
 * The session GoTrue answers sign-ins and refreshes with (`AccessTokenResponse`), which auth-js
 * stores as its `Session`.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/token.go
 * @see https://supabase.com/docs/reference/javascript/auth-getsession
 */
export interface Session {
  /** The access token: a JWT with GoTrue's claims, what REST, realtime and storage trust. */
  access_token: string
  token_type: 'bearer'
  /** Seconds the access token lives (`jwt.expiresIn`). */
  expires_in: number
  /** When the access token expires, in seconds since the epoch. */
  expires_at: number
  /** Single use: each refresh rotates it. */
  refresh_token: string
  user: User
  /** A social sign-in's provider access token (GoTrue's `provider_token`). */
  provider_token?: string
  /** A social sign-in's provider refresh token, when the provider issued one. */
  provider_refresh_token?: string
}

/** How a session was established; becomes the `amr` claim's `method`. */
export type AuthenticationMethod =
  | 'password'
  | 'otp'
  | 'magiclink'
  | 'email/signup'
  | 'email_change'
  | 'recovery'
  | 'invite'
  | 'anonymous'
  | 'pkce'
  | 'token_refresh'
  | (string & {})

/** Options for `Sessions.issue`. */
export interface IssueSessionOptions {
  /** The `amr` method recorded for this sign-in. */
  amr: AuthenticationMethod
  /** @default 'aal1' */
  aal?: 'aal1' | 'aal2'
  ip?: string | undefined
  userAgent?: string | null | undefined
  /** The OAuth client this session is a grant to (`@groundwork/oauth-provider`). */
  oauthClientId?: string | undefined
  /** The scope granted to that client. */
  scope?: string | undefined
  /** The new session's id, chosen by the caller (a UUID); a fresh one when absent. */
  sessionId?: string | undefined
}

/** The client of a refresh, recorded on the session (GoTrue's `UpdateOnlyRefreshInfo`). */
export interface RefreshClient {
  ip?: string | undefined
  userAgent?: string | null | undefined
  /**
   * The OAuth client refreshing (authenticated by the OAuth provider). A grant's refresh token is
   * bound to its client (RFC 6749 §6): it refreshes only when this names that client, and a
   * sign-in's only when this is absent.
   */
  oauthClientId?: string | undefined
}
