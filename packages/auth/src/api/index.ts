import type { AppsApi } from '../keys/apps'
import type { ApiKeysApi } from '../keys/keys'
import type { AuthServices } from '../services'
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
}

/** Composes {@link AuthApi} over the services. */
export function createApi(services: AuthServices): AuthApi {
  return {
    ...guarded({ ...createAccountsApi(services), ...createEmailApi(services), ...createServerApi(services) }),
    admin: guarded(createAdminApi(services)),
    apps: guarded(services.keyStore.apps),
    keys: guarded(services.keyStore.keys),
    userKeys: guarded(createUserKeysApi(services)),
  }
}
