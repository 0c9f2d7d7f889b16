import { toAuthError } from '../errors'
import type { AuthServices } from '../services'
import { type AccountsApi, createAccountsApi } from './accounts'
import { type AuthAdminApi, createAdminApi } from './admin'
import { createEmailApi, type EmailApi } from './email'
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
}

/** Wraps every method so that what it throws is an `AuthError`/`OAuthError` (see `toAuthError`). */
function guarded<T extends object>(methods: T): T {
  const out: Record<string, unknown> = {}
  for (const [name, method] of Object.entries(methods)) {
    out[name] = async (...args: unknown[]) => {
      try {
        return await (method as (...args: unknown[]) => Promise<unknown>)(...args)
      } catch (error) {
        throw toAuthError(error)
      }
    }
  }
  return out as T
}

/** Composes {@link AuthApi} over the services. */
export function createApi(services: AuthServices): AuthApi {
  return {
    ...guarded({ ...createAccountsApi(services), ...createEmailApi(services), ...createServerApi(services) }),
    admin: guarded(createAdminApi(services)),
  }
}
