import type { Database, Transaction } from '@groundwork/core'
import { audit } from './audit'
import { transact } from './db'
import { AuthError } from './errors'
import type { AuthMailTemplate, AuthMailVariables } from './mailer'
import type { ResolvedAuthOptions } from './options'
import type { RateLimiter } from './rate-limit'
import type { RedirectPolicy } from './redirect'
import type { TokenSigner } from './sessions/jwt'
import type { Sessions } from './sessions/sessions'
import type { TokenVerifier } from './sessions/verify-token'
import type { PasswordService } from './users/passwords'
import type { UsersRepository } from './users/repository'

/**
 * What the account operations, flows and admin functions share. Writes take the caller's `tx`, so
 * one operation composes user changes, sessions, tokens, mail and its audit entry in one
 * transaction (`transact`).
 */
export interface AuthServices {
  readonly options: ResolvedAuthOptions
  readonly db: Database
  readonly users: UsersRepository
  readonly sessions: Sessions
  /** Verifies user and service-role access tokens. */
  readonly tokens: TokenVerifier
  readonly signer: TokenSigner
  readonly passwords: PasswordService
  readonly redirects: RedirectPolicy
  readonly rateLimit: RateLimiter
  /** The public URL of the handler (`externalUrl`), for links in mail and pagination links. */
  readonly externalUrl: string
  /**
   * Enqueues a mail in `tx` (transactional outbox) and counts it against the per-address email
   * rate limit; 500 `unexpected_failure` when no `mail` is configured.
   */
  sendMail(
    tx: Transaction,
    template: AuthMailTemplate,
    to: string,
    variables: AuthMailVariables,
  ): Promise<void>
  /** `${externalUrl}/verify?token=…&type=…&redirect_to=…`: the confirmation URL GoTrue mails. */
  verifyUrl(type: string, tokenHash: string, redirectTo: string): string
  /** Runs `fn` in one transaction (see `transact` in `db.ts`). */
  transact<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>
  /** Appends to `auth.audit_log_entries`. */
  audit: typeof audit
}

/** Builds {@link AuthServices} around the services created by `createAuth`. */
export function createServices(
  deps: Omit<AuthServices, 'db' | 'sendMail' | 'verifyUrl' | 'transact' | 'audit'>,
): AuthServices {
  const { options, externalUrl, rateLimit } = deps
  const db = options.db
  return {
    ...deps,
    db,
    async sendMail(tx, template, to, variables) {
      if (!options.mail) {
        throw new AuthError('unexpected_failure', 'Error sending email: no mail service is configured', {
          status: 500,
        })
      }
      await rateLimit(`email:${to.toLowerCase()}`, options.rateLimits.emailSent, 'email')
      await options.mail.send(tx, {
        template,
        to,
        variables: { site_url: options.siteUrl, email: to, ...variables },
      })
    },
    verifyUrl(type, tokenHash, redirectTo) {
      const query = new URLSearchParams({ token: tokenHash, type, redirect_to: redirectTo })
      return `${externalUrl}/verify?${query}`
    },
    transact: (fn) => transact(db, fn),
    audit,
  }
}
