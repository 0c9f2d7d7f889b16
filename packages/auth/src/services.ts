import type { Database, Transaction } from '@groundwork/core'
import { audit } from './audit'
import { transact } from './db'
import type { ResponseEqualizer } from './enumeration'
import { AuthError } from './errors'
import type { KeyStore } from './keys/store'
import type { AuthMailTemplate, AuthMailVariables } from './mailer'
import type { ResolvedAuthOptions } from './options'
import type { MailThrottle, RateLimiter } from './rate-limit'
import type { RedirectPolicy } from './redirect'
import type { TokenSigner } from './sessions/jwt'
import type { Sessions } from './sessions/sessions'
import type { TokenVerifier } from './sessions/verify-token'
import type { PasswordService } from './users/passwords'
import type { UsersRepository } from './users/repository'
import type { RolePolicy } from './users/roles'
import { normalizeEmail } from './users/validation'

/**
 * The throttle windows of mail requests (GoTrue's `*_sent_at` columns, per address here): sign-up
 * confirmations, magic links with recoveries (they share one in GoTrue), email changes.
 */
export type MailRequestKind = 'confirmation' | 'recovery' | 'email_change'

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
  readonly mailThrottle: MailThrottle
  /** Which roles users may have and tokens may carry. */
  readonly roles: RolePolicy
  /** Equalises the time of the account-dependent part of the anti-enumeration flows. */
  readonly uniform: ResponseEqualizer
  /** The public URL of the handler (`externalUrl`), for links in mail and pagination links. */
  readonly externalUrl: string
  /** Apps and API keys (`auth.api.apps`, `auth.api.keys`, the self-service keys). */
  readonly keyStore: KeyStore
  /**
   * Enqueues a mail in `tx` (transactional outbox) and counts it against the per-address email
   * rate limit (unless `counted`: the request was counted by {@link countMailRequest}); 500
   * `unexpected_failure` when no `mail` is configured.
   */
  sendMail(
    tx: Transaction,
    template: AuthMailTemplate,
    to: string,
    variables: AuthMailVariables,
    options?: { counted?: boolean },
  ): Promise<void>
  /**
   * The limits of a request that mails `email` if it has an account (`/signup`, `/otp`,
   * `/recover`, `/resend`), checked before anything looks the address up, so that they answer
   * alike whether or not it has one: 500 when no mail service is configured, the
   * `emailFrequencySeconds` throttle of `kind` and the per-address `emailSent` limit (429
   * `over_email_send_rate_limit`). What the request then sends passes `counted`.
   */
  countMailRequest(kind: MailRequestKind, email: string): Promise<void>
  /** `${externalUrl}/verify?token=…&type=…&redirect_to=…`: the confirmation URL GoTrue mails. */
  verifyUrl(type: string, tokenHash: string, redirectTo: string): string
  /** Runs `fn` in one transaction (see `transact` in `db.ts`). */
  transact<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>
  /** Appends to `auth.audit_log_entries`. */
  audit: typeof audit
}

/** Builds {@link AuthServices} around the services created by `createAuth`. */
export function createServices(
  deps: Omit<AuthServices, 'db' | 'sendMail' | 'countMailRequest' | 'verifyUrl' | 'transact' | 'audit'>,
): AuthServices {
  const { options, externalUrl, rateLimit, mailThrottle } = deps
  const db = options.db
  const requireMail = () => {
    if (!options.mail) {
      throw new AuthError('unexpected_failure', 'Error sending email: no mail service is configured', {
        status: 500,
      })
    }
    return options.mail
  }
  const countAddress = (address: string) =>
    rateLimit(`email:${normalizeEmail(address)}`, options.rateLimits.emailSent, 'email')
  return {
    ...deps,
    db,
    async countMailRequest(kind, email) {
      requireMail()
      await mailThrottle(
        `mailfreq:${kind}:${normalizeEmail(email)}`,
        options.rateLimits.emailFrequencySeconds,
      )
      await countAddress(email)
    },
    async sendMail(tx, template, to, variables, sendOptions = {}) {
      const mail = requireMail()
      if (!sendOptions.counted) await countAddress(to)
      await mail.send(tx, {
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
