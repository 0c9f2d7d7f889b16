import type { Queryable } from '../db'
import { AuthError } from '../errors'
import type { UserRecord } from '../users/record'
import type { AccessTokenClaims, TokenSigner } from './jwt'
import type { Sessions } from './sessions'
import type { SessionRow } from './types'

/** Roles allowed on admin endpoints (GoTrue's `JWT_ADMIN_ROLES`). */
export const ADMIN_ROLES: readonly string[] = ['service_role', 'supabase_admin']

/** A verified user token: its user, claims and (when it names one) session. */
export interface VerifiedUserToken {
  user: UserRecord
  claims: AccessTokenClaims
  session: SessionRow | null
}

/** Verifies the bearer tokens of user and admin calls, with GoTrue's answers. */
export interface TokenVerifier {
  /**
   * GoTrue's `requireAuthentication`: 401 `no_authorization` without a token; 403 `bad_jwt` for a
   * bad one, `user_not_found` when its user is gone, `session_not_found` when its session ended.
   */
  user(accessToken: string): Promise<VerifiedUserToken>
  /**
   * {@link user} for the calls that manage the account itself — change email or password, link or
   * unlink identities, enrol or verify MFA factors, reauthenticate, mint API keys: a token the OAuth
   * provider issued to a third-party client (it carries `client_id`) is refused with 403
   * `bad_jwt`. A grant lets an app act on the user's data within its scopes, never take over
   * the account's credentials.
   */
  accountUser(accessToken: string): Promise<VerifiedUserToken>
  /** GoTrue's `requireAdmin`: 401 without a token, 403 `bad_jwt`, 403 `not_admin` for other roles. */
  serviceRole(accessToken: string): Promise<AccessTokenClaims>
}

/** Builds the {@link TokenVerifier}. */
export function createTokenVerifier(deps: {
  db: Queryable
  signer: TokenSigner
  sessions: Sessions
}): TokenVerifier {
  const { db, signer, sessions } = deps
  const claimsOf = (token: string) => {
    if (typeof token !== 'string' || token === '')
      throw new AuthError('no_authorization', 'This endpoint requires a Bearer token', { status: 401 })
    return signer.verify(token, { requireAudience: false })
  }
  const verifier: TokenVerifier = {
    async user(accessToken) {
      const claims = await claimsOf(accessToken)
      if (typeof claims.sub !== 'string' || claims.sub === '') {
        throw new AuthError('bad_jwt', 'invalid claim: missing sub claim', { status: 403 })
      }
      const sessionId =
        typeof claims.session_id === 'string' && claims.session_id !== '' ? claims.session_id : null
      const { user, session } = await sessions.findUserAndSession(db, claims.sub, sessionId)
      if (!user || user.deleted_at) {
        throw new AuthError('user_not_found', 'User from sub claim in JWT does not exist', { status: 403 })
      }
      if (sessionId && (!session || (session.not_after && session.not_after <= new Date()))) {
        throw new AuthError('session_not_found', 'Session from session_id claim in JWT does not exist', {
          status: 403,
        })
      }
      return { user, claims, session }
    },
    async accountUser(accessToken) {
      const verified = await verifier.user(accessToken)
      if (verified.claims.client_id !== undefined) {
        throw new AuthError('bad_jwt', 'A token issued to an OAuth client cannot manage the account', {
          status: 403,
        })
      }
      return verified
    },
    async serviceRole(accessToken) {
      const claims = await claimsOf(accessToken)
      if (typeof claims.role !== 'string' || !ADMIN_ROLES.includes(claims.role)) {
        throw new AuthError('not_admin', 'User not allowed', { status: 403 })
      }
      return claims
    },
  }
  return verifier
}
