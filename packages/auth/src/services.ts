import type { Database, Transaction } from '@groundwork/core'
import { audit } from './audit'
import { AuthError } from './errors'
import type { TokenSigner } from './jwt'
import type { AuthMailTemplate, AuthMailVariables } from './mailer'
import type { OneTimeTokens } from './one-time-tokens'
import type { ResolvedAuthOptions } from './options'
import {
  checkPasswordPolicy,
  hashPassword,
  type PasswordCheck,
  type ScryptParams,
  verifyDummyPassword,
  verifyPassword,
} from './passwords'
import type { RateLimiter } from './rate-limit'
import type { RedirectPolicy } from './redirect'
import type { IssueSessionOptions, SessionResponse, Sessions } from './sessions'
import { hashToken, randomOtp, randomToken, safeEqual } from './tokens'
import type { Queryable, User, UsersRepository } from './users'

/** Password hashing and policy, bound to the configured cost and policy. */
export interface PasswordService {
  hash(password: string): Promise<string>
  verify(password: string, stored: string | null | undefined): Promise<PasswordCheck>
  /** Spends a verification's time when there is no account (anti-enumeration by timing). */
  verifyDummy(password: string): Promise<void>
  /** Throws 422 `weak_password` with reasons. */
  checkPolicy(password: string): void
}

/**
 * Everything route modules share — core's (`src/routes`) and AUTH-B's (`src/flows`, `src/admin`).
 * All writes take the caller's `tx`, so a route composes user changes, sessions, tokens, mail and
 * the audit entry in one transaction (`transact`).
 */
export interface AuthServices {
  readonly options: ResolvedAuthOptions
  readonly db: Database
  readonly users: UsersRepository
  readonly sessions: Sessions
  readonly oneTimeTokens: OneTimeTokens
  readonly signer: TokenSigner
  readonly passwords: PasswordService
  readonly redirects: RedirectPolicy
  readonly rateLimit: RateLimiter
  /** The public URL of this handler (`externalUrl`), for links in mail. */
  readonly externalUrl: string
  /** The `iss` claim. */
  readonly issuer: string
  /** Creates a session for `user` and answers GoTrue's session JSON (`issueSession(tx, user, { amr, aal })`). */
  issueSession(tx: Queryable, user: User, options: IssueSessionOptions): Promise<SessionResponse>
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
  /** `${externalUrl}/verify?token=…&type=…&redirect_to=…` — the confirmation URL GoTrue mails. */
  verifyUrl(type: string, tokenHash: string, redirectTo: string): string
  /**
   * Runs `fn` in a transaction as the connecting role. An `AuthError` with `commit: true` commits
   * the writes made so far and is then thrown (GoTrue's `NewCommitWithError`).
   */
  transact<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>
  /** Appends to `auth.audit_log_entries`. */
  audit: typeof audit
  hashToken: typeof hashToken
  randomToken: typeof randomToken
  randomOtp: typeof randomOtp
  safeEqual: typeof safeEqual
}

/** Builds {@link AuthServices}. */
export function createServices(deps: {
  options: ResolvedAuthOptions
  users: UsersRepository
  sessions: Sessions
  oneTimeTokens: OneTimeTokens
  signer: TokenSigner
  redirects: RedirectPolicy
  rateLimit: RateLimiter
  scrypt: ScryptParams
  externalUrl: string
  issuer: string
}): AuthServices {
  const { options, scrypt } = deps
  const db = options.db
  return {
    options,
    db,
    users: deps.users,
    sessions: deps.sessions,
    oneTimeTokens: deps.oneTimeTokens,
    signer: deps.signer,
    redirects: deps.redirects,
    rateLimit: deps.rateLimit,
    externalUrl: deps.externalUrl,
    issuer: deps.issuer,
    passwords: {
      hash: (password) => hashPassword(password, scrypt),
      verify: (password, stored) => verifyPassword(password, stored, scrypt),
      verifyDummy: (password) => verifyDummyPassword(password, scrypt),
      checkPolicy: (password) => checkPasswordPolicy(password, options.passwordPolicy),
    },
    issueSession: (tx, user, opts) => deps.sessions.issue(tx, user, opts),
    async sendMail(tx, template, to, variables) {
      if (!options.mail) {
        throw new AuthError('unexpected_failure', 'Error sending email: no mail service is configured', {
          status: 500,
        })
      }
      await deps.rateLimit(`email:${to.toLowerCase()}`, options.rateLimits.emailSent, 'email')
      await options.mail.send(tx, {
        template,
        to,
        variables: { site_url: options.siteUrl, email: to, ...variables },
      })
    },
    verifyUrl(type, tokenHash, redirectTo) {
      const query = new URLSearchParams({ token: tokenHash, type, redirect_to: redirectTo })
      return `${deps.externalUrl}/verify?${query}`
    },
    async transact(fn) {
      const outcome = await db.transaction(async (tx) => {
        try {
          return { ok: true as const, value: await fn(tx) }
        } catch (error) {
          if (error instanceof AuthError && error.commit) return { ok: false as const, error }
          throw error
        }
      })
      if (!outcome.ok) throw outcome.error
      return outcome.value
    },
    audit,
    hashToken,
    randomToken,
    randomOtp,
    safeEqual,
  }
}
