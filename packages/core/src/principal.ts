import type { JwtClaims } from './claims'

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
  /** For API keys: the scopes the key grants. */
  scopes?: string[]
}

/** Resolves the caller of a request; throws a `GroundworkError` (status 401) for a bad credential. */
export type Authenticate = (request: Request) => Promise<Principal>
