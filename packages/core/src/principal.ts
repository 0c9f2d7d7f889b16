import type { JwtClaims } from './claims'

/** A statement run at the start of every request transaction of a principal (see {@link Principal.checks}). */
export interface PrincipalCheck {
  readonly text: string
  readonly values: readonly unknown[]
}

/** A caller's request budget, for the `RateLimit-*` response headers. */
export interface RateLimitState {
  /** Requests allowed per window. */
  readonly limit: number
  /** Requests left in this window (approximate across instances; see docs/auth.md). */
  readonly remaining: number
  /** Seconds until the window resets. */
  readonly reset: number
}

/**
 * Who is calling: the result of `authenticate(request)`. Every package learns the caller through
 * this one shape, whichever authenticator produced it (core's JWT-only one, or `@groundwork/auth`).
 */
export interface Principal {
  /** How the caller proved itself. */
  kind: 'anonymous' | 'jwt' | 'api-key'
  /** The Postgres role requests run as. */
  role: string
  /** The verified claims, handed to SQL as `request.jwt.claims`. For anonymous callers: `{ role }`. */
  claims: JwtClaims
  /** The bearer token, when one was presented and verified. */
  token?: string
  /** For API keys: the app the key belongs to. */
  app?: string
  /** For API keys: the key's id (`auth.key_id()` in SQL). */
  keyId?: string
  /**
   * What the caller may do, when narrowed (API keys, client-credentials tokens): `read`, `write`,
   * `admin`. Absent: not narrowed — the role and RLS decide. See {@link assertAccess}.
   */
  scopes?: readonly string[]
  /** Schema-qualified tables (and functions) the caller may touch; absent: any. */
  allowedTables?: readonly string[]
  /**
   * Statements every request transaction of this caller runs right after the claims, in the same
   * round trip; one may raise to refuse the request — how a revoked or expired API key is refused
   * on the very next request on every instance, with no cache to invalidate.
   */
  checks?: readonly PrincipalCheck[]
  /** The caller's rate-limit budget, when one applies (for `RateLimit-*` headers). */
  rateLimit?: RateLimitState
}

/** Resolves the caller of a request; throws a `GroundworkError` (status 401) for a bad credential. */
export type Authenticate = (request: Request) => Promise<Principal>
