import type { Authenticate, MigrationSet } from '@groundwork/core'
import { parseOptions } from '@groundwork/core/kit'
import { type AuthApi, createApi } from './api'
import { createAuthenticate } from './authenticate'
import { type CleanupResult, cleanup, createCleanupTask } from './cleanup'
import { createTokenSigner } from './jwt'
import { migrations } from './migrations'
import { createOneTimeTokens } from './one-time-tokens'
import { type AuthOptions, authOptionsSchema, type ResolvedAuthOptions } from './options'
import { createRateLimiter } from './rate-limit'
import { createRedirectPolicy } from './redirect'
import { createRouter } from './router'
import { createServices } from './services'
import { createSessions } from './sessions'
import { createUsersRepository } from './users'

/** What {@link createAuth} returns. */
export interface Auth {
  /** Web-standard handler for the GoTrue API; mount it at `/auth/v1`. */
  handler: (request: Request) => Promise<Response>
  /** The same endpoints, in-process. */
  api: AuthApi
  /** Resolves the caller of any request (for REST, realtime, storage). */
  authenticate: Authenticate
  /** The `auth` schema's migrations. */
  migrations: MigrationSet
  /** Jobs tasks of this package (`auth:cleanup`): pass to `createJobs({ tasks: [...auth.tasks] })`. */
  tasks: readonly [ReturnType<typeof createCleanupTask>]
  /** Deletes expired tokens, flow states, ended sessions and old rate-limit windows now. */
  cleanup(): Promise<CleanupResult>
  /** The validated options. */
  options: ResolvedAuthOptions
}

/**
 * Creates the GoTrue-compatible auth service.
 *
 * @example
 * ```ts
 * const auth = createAuth({ db, jwt: { secret: process.env.JWT_SECRET }, siteUrl: 'https://app.example', mail })
 * app.use('/auth/v1', toNodeHandler(auth.handler))
 * const rest = createRest({ db, authenticate: auth.authenticate })
 * ```
 * @see https://github.com/supabase/auth#endpoints
 */
export function createAuth(input: AuthOptions): Auth {
  const options = parseOptions(authOptionsSchema, input, 'createAuth')
  const site = new URL(options.siteUrl)
  const externalUrl = (options.externalUrl ?? `${site.origin}/auth/v1`).replace(/\/$/, '')
  const issuer = options.jwt.issuer ?? externalUrl
  const signer = createTokenSigner(options.jwt)
  const users = createUsersRepository({ audience: options.jwt.audience })
  const sessions = createSessions({ options, signer, issuer })
  const services = createServices({
    options,
    users,
    sessions,
    oneTimeTokens: createOneTimeTokens({ otpLength: options.otpLength }),
    signer,
    redirects: createRedirectPolicy(options.siteUrl, options.additionalRedirectUrls),
    rateLimit: createRateLimiter(options.db),
    scrypt: options.scrypt,
    externalUrl,
    issuer,
  })
  const handler = createRouter(services)
  return {
    handler,
    api: createApi(handler, options.basePath, async () => {
      // A 60-second service-role token for in-process admin calls (never leaves the process).
      const iat = Math.floor(Date.now() / 1000)
      return signer.sign({ role: 'service_role', iss: issuer, iat, exp: iat + 60 })
    }),
    authenticate: createAuthenticate(options, signer),
    migrations,
    tasks: [createCleanupTask(options.db, options)],
    cleanup: () => cleanup(options.db, options),
    options,
  }
}
