import { refreshSession } from '../accounts/refresh-session'
import {
  type SignInWithPasswordInput,
  type SignInWithPasswordResult,
  signInWithPassword,
} from '../accounts/sign-in'
import { signOut } from '../accounts/sign-out'
import { type SignUpInput, type SignUpResult, signUp } from '../accounts/sign-up'
import { type UserAttributes, updateUser } from '../accounts/update-user'
import { reauthenticate } from '../flows/reauthenticate'
import type { AuthServices } from '../services'
import type { AccessTokenClaims } from '../sessions/jwt'
import type { SignOutScope } from '../sessions/sessions'
import type { Session } from '../sessions/types'
import { toUser, type User } from '../users/json'
import type { AuthCallContext } from './context'

/** What `verifyAccessToken` resolves a user's access token to. */
export interface VerifiedAccessToken {
  user: User
  /** The token's verified claims (`sub`, `role`, `session_id`, `aal`, `amr`, custom claims…). */
  claims: AccessTokenClaims
  /** The session the token belongs to (null for a token without `session_id`). */
  sessionId: string | null
}

/** The account half of `auth.api`: sign-up, sign-in, sessions, the signed-in user. */
export interface AccountsApi {
  /**
   * Creates an account (`POST /signup`): a session when it is usable at once (`mailerAutoconfirm`,
   * anonymous users), else the user awaiting the mailed confirmation.
   * @see https://supabase.com/docs/reference/javascript/auth-signup
   */
  signUp(input: SignUpInput, ctx?: AuthCallContext): Promise<SignUpResult>
  /**
   * Signs in with email and password (`POST /token?grant_type=password`).
   * @see https://supabase.com/docs/reference/javascript/auth-signinwithpassword
   */
  signInWithPassword(input: SignInWithPasswordInput, ctx?: AuthCallContext): Promise<SignInWithPasswordResult>
  /**
   * Trades a refresh token for a new session, rotating it (`POST /token?grant_type=refresh_token`).
   * Throws `OAuthError` `invalid_request` without a token, as GoTrue.
   * @see https://supabase.com/docs/reference/javascript/auth-refreshsession
   * @see https://supabase.com/docs/guides/auth/sessions#refresh-token-reuse-detection
   */
  refreshSession(refreshToken: string, ctx?: AuthCallContext): Promise<Session>
  /**
   * The user of an access token, checked against the database (`GET /user`).
   * @see https://supabase.com/docs/reference/javascript/auth-getuser
   */
  getUser(accessToken: string): Promise<User>
  /**
   * Changes the signed-in user's metadata, password or email (`PUT /user`).
   * @see https://supabase.com/docs/reference/javascript/auth-updateuser
   */
  updateUser(accessToken: string, attributes: UserAttributes, ctx?: AuthCallContext): Promise<User>
  /**
   * Ends sessions (`POST /logout?scope=`): `global` (default) all of the user's, `local` this one,
   * `others` all but this one.
   * @see https://supabase.com/docs/reference/javascript/auth-signout
   */
  signOut(accessToken: string, scope?: SignOutScope, ctx?: AuthCallContext): Promise<void>
  /**
   * Mails the signed-in user a code to pass as `nonce` to `updateUser` (`GET /reauthenticate`).
   * @see https://supabase.com/docs/reference/javascript/auth-reauthentication
   */
  reauthenticate(accessToken: string, ctx?: AuthCallContext): Promise<void>
  /**
   * Resolves a user's access token in-process, as `GET /user` does: signature and expiry, then its
   * user (not deleted) and session (not ended) in one query. 401 `no_authorization` for an empty
   * token; 403 `bad_jwt`, `user_not_found` or `session_not_found` otherwise.
   * @see https://supabase.com/docs/reference/javascript/auth-getclaims
   */
  verifyAccessToken(accessToken: string): Promise<VerifiedAccessToken>
}

/** Builds {@link AccountsApi}. */
export function createAccountsApi(services: AuthServices): AccountsApi {
  return {
    signUp: (input, ctx = {}) => signUp(services, input, ctx),
    signInWithPassword: (input, ctx = {}) => signInWithPassword(services, input, ctx),
    refreshSession: (refreshToken, ctx = {}) => refreshSession(services, refreshToken, ctx),
    getUser: async (accessToken) => toUser((await services.tokens.user(accessToken)).user),
    updateUser: (accessToken, attributes, ctx = {}) => updateUser(services, accessToken, attributes, ctx),
    signOut: (accessToken, scope = 'global', ctx = {}) => signOut(services, accessToken, scope, ctx),
    reauthenticate: (accessToken, ctx = {}) => reauthenticate(services, accessToken, ctx),
    async verifyAccessToken(accessToken) {
      const { user, claims, session } = await services.tokens.user(accessToken)
      return { user: toUser(user), claims, sessionId: session?.id ?? null }
    },
  }
}
