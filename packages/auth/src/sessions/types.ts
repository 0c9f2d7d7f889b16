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
}

/** The client of a refresh, recorded on the session (GoTrue's `UpdateOnlyRefreshInfo`). */
export interface RefreshClient {
  ip?: string | undefined
  userAgent?: string | null | undefined
}
