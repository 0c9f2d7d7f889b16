import { randomUUID } from 'node:crypto'
import type { ResolvedAuthOptions } from '../options'
import { toUser } from '../users/json'
import type { UserRecord } from '../users/record'
import type { RolePolicy } from '../users/roles'
import type { AccessTokenClaims, TokenSigner } from './jwt'
import type { Session, SessionRow } from './types'

/** The part of a session an access token is minted for. */
export type SessionClaimsSource = Pick<SessionRow, 'id' | 'aal' | 'amr' | 'oauth_client_id' | 'scope'>

/** Mints access tokens and builds the session JSON around them. */
export interface SessionTokens {
  /** Signs an access token for an existing session (through `customAccessTokenClaims`). */
  accessToken(
    user: UserRecord,
    session: SessionClaimsSource,
    method?: string,
  ): Promise<{ token: string; expiresAt: number }>
  /** The {@link Session} answered for `refreshToken` of `session`. */
  session(
    user: UserRecord,
    session: SessionClaimsSource,
    refreshToken: string,
    method: string,
  ): Promise<Session>
}

/**
 * Builds {@link SessionTokens}: GoTrue's claims, then the `customAccessTokenClaims` hook, whose
 * output may add claims but never remove or rewrite the required ones. The `role` claim (the
 * user's, or the hook's) must be one users may have (`roles`): anything else — `postgres`,
 * `service_role`, a non-string — is 422 `validation_failed` and nothing is signed.
 *
 * @see https://supabase.com/docs/guides/auth/jwt-fields
 * @see https://supabase.com/docs/guides/auth/auth-hooks/custom-access-token-hook
 */
export function createSessionTokens(deps: {
  options: ResolvedAuthOptions
  signer: TokenSigner
  issuer: string
  roles: RolePolicy
}): SessionTokens {
  const { options, signer, issuer, roles } = deps

  async function accessToken(user: UserRecord, session: SessionClaimsSource, method = 'token_refresh') {
    const iat = Math.floor(Date.now() / 1000)
    const exp = iat + options.jwt.expiresIn
    let claims: AccessTokenClaims = {
      iss: issuer,
      sub: user.id,
      aud: user.aud,
      exp,
      iat,
      email: user.email ?? '',
      phone: user.phone ?? '',
      app_metadata: user.raw_app_meta_data ?? {},
      user_metadata: user.raw_user_meta_data ?? {},
      // A stored role of '' (rows imported from older GoTrue versions) is the default role.
      role: user.role || roles.defaultUserRole,
      aal: session.aal,
      amr: session.amr,
      session_id: session.id,
      is_anonymous: user.is_anonymous,
    }
    const hook = options.hooks.customAccessTokenClaims
    if (hook) {
      const custom = await hook({
        userId: user.id,
        claims: { ...claims },
        authenticationMethod: method,
        user,
      })
      claims = {
        ...custom,
        iss: claims.iss,
        sub: claims.sub,
        aud: custom.aud ?? claims.aud,
        exp: claims.exp,
        iat: claims.iat,
        role: custom.role === undefined ? claims.role : (custom.role as string),
        aal: claims.aal,
        session_id: claims.session_id,
        email: claims.email,
        phone: claims.phone,
        is_anonymous: claims.is_anonymous,
        amr: claims.amr,
        app_metadata: custom.app_metadata ?? claims.app_metadata,
        user_metadata: custom.user_metadata ?? claims.user_metadata,
      }
    }
    claims.role = roles.requireUserRole(claims.role)
    if (session.oauth_client_id) {
      // An OAuth grant's token: RFC 9068's profile (`typ: at+jwt`, `client_id`, `scope`, `jti`),
      // so policies can read `auth.jwt() ->> 'client_id'`. See src/oauth-grants/.
      claims.client_id = session.oauth_client_id
      claims.scope = session.scope ?? ''
      claims.jti = randomUUID()
      return { token: await signer.sign(claims, { typ: 'at+jwt' }), expiresAt: exp }
    }
    return { token: await signer.sign(claims), expiresAt: exp }
  }

  return {
    accessToken,
    async session(user, session, refreshToken, method) {
      const { token, expiresAt } = await accessToken(user, session, method)
      return {
        access_token: token,
        token_type: 'bearer',
        expires_in: options.jwt.expiresIn,
        expires_at: expiresAt,
        refresh_token: refreshToken,
        user: toUser(user),
      }
    },
  }
}
