import type { Transaction } from '@groundwork/core'
import type { AccessTokenClaims } from './sessions/jwt'
import type { UserRecord } from './users/record'

/** What `beforeSignUp` sees: the would-be account. */
export interface BeforeSignUpEvent {
  email: string | null
  phone: string | null
  /** `user_metadata` from `options.data`; the hook may return replacements. */
  userMetadata: Record<string, unknown>
  isAnonymous: boolean
  /** The HTTP request being served (`AuthCallContext.request`); absent for in-process `auth.api` calls. */
  request?: Request
}

/** What `beforeSignUp` may answer: reject (throw an `AuthError`) or adjust metadata. */
export interface BeforeSignUpResult {
  userMetadata?: Record<string, unknown>
  appMetadata?: Record<string, unknown>
}

/** Input of `customAccessTokenClaims` (GoTrue's custom access token hook input). */
export interface CustomAccessTokenClaimsEvent {
  userId: string
  claims: AccessTokenClaims
  /** How the user authenticated for this session: `password`, `otp`, `anonymous`, `token_refresh`… */
  authenticationMethod: string
  user: UserRecord
}

/**
 * Typed hooks (GoTrue's Auth Hooks, as functions instead of HTTP/Postgres endpoints).
 *
 * @see https://supabase.com/docs/guides/auth/auth-hooks
 */
export interface AuthHooks {
  /** Runs before the account row is written; throw an `AuthError` to refuse the sign-up. */
  beforeSignUp?: (
    event: BeforeSignUpEvent,
  ) => Promise<BeforeSignUpResult | undefined> | BeforeSignUpResult | undefined
  /** Runs in the sign-up transaction after the account is written (enqueue work on `tx`; throwing rolls back). */
  afterSignUp?: (event: { user: UserRecord; tx: Transaction }) => Promise<void> | void
  /**
   * Returns the claims to sign (add yours; `iss`, `aud`, `exp`, `iat`, `sub`, `role`, `aal`,
   * `session_id`, `email`, `phone` and `is_anonymous` are required and kept if removed). `role`
   * may be changed only to a role users may have (`authenticated` or one of `allowedRoles`):
   * anything else fails the request with 422 `validation_failed`, and nothing is signed.
   * @see https://supabase.com/docs/guides/auth/auth-hooks/custom-access-token-hook
   */
  customAccessTokenClaims?: (
    event: CustomAccessTokenClaimsEvent,
  ) => Promise<AccessTokenClaims> | AccessTokenClaims
}
