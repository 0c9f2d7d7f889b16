import type { AppsApi } from '../keys/apps'
import type { ApiKeysApi } from '../keys/keys'
import { createMfaApi, type MfaAdminApi, type MfaApi } from '../mfa/api'
import { createOAuthGrantsApi, type OAuthGrantsApi } from '../oauth-grants/grants'
import type { AuthServices } from '../services'
import { createSocialApi, type SocialApi } from '../social/api'
import { type AccountsApi, createAccountsApi } from './accounts'
import { type AuthAdminApi, createAdminApi } from './admin'
import { createEmailApi, type EmailApi } from './email'
import { guarded } from './guarded'
import { createUserKeysApi, type UserApiKeysApi } from './keys'
import { createServerApi, type ServerApi } from './server'

/**
 * `auth.api`: the typed programmatic surface of the GoTrue API, for scripts, server code and
 * other packages (the OAuth provider, API keys) — the handler is a thin HTTP layer over it.
 * Methods take an optional {@link AuthCallContext} (client address, user agent, the HTTP request)
 * and throw `AuthError` (or, for `refreshSession`, GoTrue's OAuth-style `OAuthError`); anything
 * else that fails becomes `AuthError` `unexpected_failure` with the original as `cause`.
 */
export interface AuthApi extends AccountsApi, EmailApi, ServerApi {
  /** The service-role operations (trusted in-process calls). */
  readonly admin: AuthAdminApi
  /** Apps: owners and shared request budgets of API keys (trusted in-process calls). */
  readonly apps: AppsApi
  /** API keys: create, list, revoke, verify (trusted in-process calls). */
  readonly keys: ApiKeysApi
  /** A signed-in user's own app keys (each call takes their access token). */
  readonly userKeys: UserApiKeysApi
  /** OAuth grants as auth sessions, for `@groundwork/oauth-provider` (trusted in-process calls). */
  readonly oauthGrants: OAuthGrantsApi
  /** Social sign-in (OAuth 2 / OIDC providers), id_token sign-in, identity linking. */
  readonly social: SocialApi
  /** A signed-in user's MFA (TOTP) factors (each call takes their access token). */
  readonly mfa: MfaApi
  /** Any user's MFA factors (trusted in-process calls; `GET|DELETE /admin/users/{id}/factors`). */
  readonly adminMfa: MfaAdminApi
}

/** Composes {@link AuthApi} over the services. */
export function createApi(services: AuthServices): AuthApi {
  const mfa = createMfaApi(services)
  return {
    ...guarded({ ...createAccountsApi(services), ...createEmailApi(services), ...createServerApi(services) }),
    admin: guarded(createAdminApi(services)),
    apps: guarded(services.keyStore.apps),
    keys: guarded(services.keyStore.keys),
    userKeys: guarded(createUserKeysApi(services)),
    oauthGrants: guarded(createOAuthGrantsApi(services)),
    social: guarded(createSocialApi(services)),
    mfa: guarded(mfa.mfa),
    adminMfa: guarded(mfa.admin),
  }
}
