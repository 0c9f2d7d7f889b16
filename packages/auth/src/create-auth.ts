import type { Authenticate, GroundworkService, MigrationSet } from '@groundwork/core'
import { parseOptions } from '@groundwork/core/kit'
import { type AuthApi, createApi } from './api/index'
import { type CleanupResult, cleanup, createCleanupTask } from './cleanup'
import { createResponseEqualizer } from './enumeration'
import { createHandler } from './http/handler'
import { createKeyCache } from './keys/cache'
import { createLeases } from './keys/leases'
import { createKeyStore } from './keys/store'
import { createUsageRecorder } from './keys/usage'
import { createKeyVerifier } from './keys/verifier'
import { migrations } from './migrations'
import type { AuthOptions } from './options'
import { authOptionsSchema, type ResolvedAuthOptions } from './options-schema'
import { createMailThrottle, createRateLimiter } from './rate-limit'
import { createRedirectPolicy } from './redirect'
import { createServices } from './services'
import { createSessionTokens } from './sessions/access-token'
import { createAuthenticate } from './sessions/authenticate'
import { createTokenSigner } from './sessions/jwt'
import { createSessions } from './sessions/sessions'
import { createTokenVerifier } from './sessions/verify-token'
import { createPasswordService } from './users/passwords'
import { createUsersRepository } from './users/repository'
import { createRolePolicy } from './users/roles'

/** What {@link createAuth} returns: core's `GroundworkService` with a typed {@link AuthApi}, and more. */
export interface Auth extends GroundworkService<AuthApi> {
  readonly name: 'auth'
  /** Web-standard handler for the GoTrue API (a thin HTTP layer over `api`); mount it at `/auth/v1`. */
  readonly handler: (request: Request) => Promise<Response>
  /** The GoTrue API in-process and typed: users, sessions, email flows, admin. */
  readonly api: AuthApi
  /** Resolves the caller of any request (for REST, realtime, storage). */
  readonly authenticate: Authenticate
  /** The `auth` schema's migrations. */
  readonly migrations: MigrationSet
  /** Jobs tasks of this package (`auth:cleanup`): pass to `createJobs({ tasks: [...auth.tasks] })`. */
  readonly tasks: readonly [ReturnType<typeof createCleanupTask>]
  /**
   * Resolves at once: auth runs no background work of its own (its cleanup is a jobs task). The
   * one timer it owns — the batched `last_used_at` write of API keys — is armed on demand and
   * `unref`'d, so a host that never calls `start()` loses nothing.
   */
  start(): Promise<void>
  /**
   * Writes the pending `last_used_at` of API keys and stops its timer. Never closes the
   * `Database` it was given.
   */
  close(): Promise<void>
  /** Deletes expired tokens, flow states, ended sessions and old rate-limit windows now. */
  cleanup(): Promise<CleanupResult>
  /** The validated options. */
  readonly options: ResolvedAuthOptions
}

/**
 * Creates the GoTrue-compatible auth service: users, sessions and email flows as typed services,
 * `api` over them, and the handler over `api`.
 *
 * @example
 * ```ts
 * const auth = createAuth({ db, jwt: { secret: process.env.JWT_SECRET }, siteUrl: 'https://app.example', mail: mail.api })
 * app.use('/auth/v1', toNodeHandler(auth.handler))
 * const rest = createRest({ db, authenticate: auth.authenticate })
 * await auth.api.admin.createUser({ email: 'ops@example.com', password, email_confirm: true })
 * ```
 * @see https://github.com/supabase/auth#endpoints
 */
export function createAuth(input: AuthOptions): Auth {
  const options = parseOptions(authOptionsSchema, input, 'createAuth')
  const externalUrl = (options.externalUrl ?? `${new URL(options.siteUrl).origin}/auth/v1`).replace(/\/$/, '')
  const issuer = options.jwt.issuer ?? externalUrl
  const signer = createTokenSigner(options.jwt)
  const roles = createRolePolicy(options)
  const sessions = createSessions({
    options,
    tokens: createSessionTokens({ options, signer, issuer, roles }),
  })
  const redirects = createRedirectPolicy(options.siteUrl, options.additionalRedirectUrls)
  const tokens = createTokenVerifier({ db: options.db, signer, sessions })
  // API keys: a cache of what never changes, budgets leased from Postgres, last use in batches.
  const keyCache = createKeyCache(options.db, options.apiKeys.cacheTtl * 1000, options.apiKeys.cacheSize)
  const keyStore = createKeyStore(options.db, {
    appChanged: (appId) => keyCache.dropApp(appId),
    keyChanged: (prefix) => keyCache.dropKey(prefix),
  })
  const leases = createLeases(options.db)
  const usage = createUsageRecorder(options.db, options.apiKeys.lastUsedInterval * 1000, (error) =>
    options.onError?.(error),
  )
  const keys = createKeyVerifier({
    db: options.db,
    roles: options.db.roles,
    audience: options.jwt.audience,
    cache: keyCache,
    leases,
    usage,
  })
  const services = createServices({
    options,
    users: createUsersRepository({ audience: options.jwt.audience, role: roles.defaultUserRole }),
    sessions,
    tokens,
    signer,
    passwords: createPasswordService(options.scrypt, options.passwordPolicy),
    redirects,
    rateLimit: createRateLimiter(options.db),
    mailThrottle: createMailThrottle(options.db),
    roles,
    uniform: createResponseEqualizer(options.uniformResponseMs),
    externalUrl,
    keyStore,
  })
  const api = createApi(services)
  return {
    name: 'auth',
    handler: createHandler({
      api,
      options,
      redirects,
      externalUrl,
      verifyServiceRole: tokens.serviceRole,
      keys,
    }),
    api,
    authenticate: createAuthenticate(options, signer, roles, keys),
    migrations,
    tasks: [createCleanupTask(options.db, options)],
    start: async () => {},
    close: () => usage.close(),
    cleanup: () => cleanup(options.db, options),
    options,
  }
}
