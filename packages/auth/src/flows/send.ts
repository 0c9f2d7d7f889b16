import type { Transaction } from '@groundwork/core'
import { AuthError } from '../errors'
import type { AuthMailTemplate } from '../mailer'
import type { AuthServices } from '../services'
import type { User } from '../users'
import { issueOneTimeToken, linkTokenKey, type OneTimeTokenType } from './email-tokens'
import { createFlowState, type PkceAuthenticationMethod, type PkceChallenge } from './pkce'

/**
 * Sending the GoTrue emails (`internal/api/mail.go`): each issues a fresh one-time token (one
 * live token per kind and user), records `*_sent_at`, optionally opens a PKCE flow state, and
 * enqueues the mail in the same transaction — a rolled-back request sends nothing.
 */

/** How a mail's link should come back. */
export interface LinkOptions {
  /** Already resolved against the allow-list. */
  redirectTo: string
  /** A PKCE challenge: the link carries a `pkce_` token and `/verify` answers with `?code=`. */
  pkce?: PkceChallenge | null
}

/** The `*_sent_at` column each kind of mail is throttled on (GoTrue's `SMTP_MAX_FREQUENCY`). */
type SentAtColumn =
  | 'confirmation_sent_at'
  | 'recovery_sent_at'
  | 'email_change_sent_at'
  | 'reauthentication_sent_at'

/**
 * GoTrue's `validateSentWithinFrequencyLimit`: 429 `over_email_send_rate_limit` when the same kind
 * of mail went to this user less than `emailFrequencySeconds` ago.
 */
export function checkFrequency(services: AuthServices, sentAt: Date | null): void {
  const seconds = services.options.rateLimits.emailFrequencySeconds
  if (!sentAt || seconds <= 0) return
  const wait = Math.ceil((sentAt.getTime() + seconds * 1000 - Date.now()) / 1000)
  if (wait > 0) {
    throw new AuthError(
      'over_email_send_rate_limit',
      `For security purposes, you can only request this after ${wait} seconds.`,
      { status: 429, headers: { 'Retry-After': String(wait) } },
    )
  }
}

async function sendTokenMail(
  services: AuthServices,
  tx: Transaction,
  user: User,
  input: {
    tokenType: OneTimeTokenType
    address: string
    template: AuthMailTemplate
    linkType: string
    sentAt: SentAtColumn
    pkceMethod: PkceAuthenticationMethod
    link: LinkOptions
    extra?: Record<string, unknown>
    /** Open the PKCE flow state (once per request, even when two mails go out). @default true */
    flowState?: boolean
  },
): Promise<{ otp: string; tokenHash: string }> {
  const { options } = services
  if (input.link.pkce && input.flowState !== false) {
    await createFlowState(tx, { userId: user.id, pkce: input.link.pkce, method: input.pkceMethod })
  }
  const issued = await issueOneTimeToken(tx, {
    userId: user.id,
    type: input.tokenType,
    address: input.address,
    otpLength: options.otpLength,
    key: linkTokenKey(options.jwt),
    pkce: Boolean(input.link.pkce),
  })
  await services.users.update(tx, user.id, { [input.sentAt]: new Date() })
  await services.sendMail(tx, input.template, input.address, {
    confirmation_url: services.verifyUrl(input.linkType, issued.tokenHash, input.link.redirectTo),
    token: issued.otp,
    token_hash: issued.tokenHash,
    email: user.email ?? input.address,
    redirect_to: input.link.redirectTo,
    data: user.raw_user_meta_data,
    ...input.extra,
  })
  return issued
}

/** The sign-up confirmation (`confirm_signup`, link type `signup`). */
export async function sendConfirmation(
  services: AuthServices,
  tx: Transaction,
  user: User,
  link: LinkOptions,
): Promise<void> {
  checkFrequency(services, user.confirmation_sent_at)
  await sendTokenMail(services, tx, user, {
    tokenType: 'confirmation_token',
    address: user.email as string,
    template: 'confirm_signup',
    linkType: 'signup',
    sentAt: 'confirmation_sent_at',
    pkceMethod: 'email/signup',
    link,
  })
}

/** An invitation (`invite`, link type `invite`); also stamps `invited_at`. */
export async function sendInvite(
  services: AuthServices,
  tx: Transaction,
  user: User,
  link: LinkOptions,
): Promise<void> {
  await sendTokenMail(services, tx, user, {
    tokenType: 'confirmation_token',
    address: user.email as string,
    template: 'invite',
    linkType: 'invite',
    sentAt: 'confirmation_sent_at',
    pkceMethod: 'invite',
    link,
  })
  await services.users.update(tx, user.id, { invited_at: new Date() })
}

/** A magic link with its code (`magic_link`, link type `magiclink`; throttled with recovery, as GoTrue). */
export async function sendMagicLink(
  services: AuthServices,
  tx: Transaction,
  user: User,
  link: LinkOptions,
): Promise<void> {
  checkFrequency(services, user.recovery_sent_at)
  await sendTokenMail(services, tx, user, {
    tokenType: 'recovery_token',
    address: user.email as string,
    template: 'magic_link',
    linkType: 'magiclink',
    sentAt: 'recovery_sent_at',
    pkceMethod: 'magiclink',
    link,
  })
}

/** A password recovery mail (`recovery`, link type `recovery`). */
export async function sendRecovery(
  services: AuthServices,
  tx: Transaction,
  user: User,
  link: LinkOptions,
): Promise<void> {
  checkFrequency(services, user.recovery_sent_at)
  await sendTokenMail(services, tx, user, {
    tokenType: 'recovery_token',
    address: user.email as string,
    template: 'recovery',
    linkType: 'recovery',
    sentAt: 'recovery_sent_at',
    pkceMethod: 'recovery',
    link,
  })
}

/**
 * The email-change mails (GoTrue's `sendEmailChange`): a link and code to the new address and,
 * with secure email change on and a current address, another to the current one; both must be
 * followed before the address changes.
 */
export async function sendEmailChange(
  services: AuthServices,
  tx: Transaction,
  user: User,
  newEmail: string,
  link: LinkOptions,
  secure: boolean,
): Promise<void> {
  checkFrequency(services, user.email_change_sent_at)
  await services.users.update(tx, user.id, { email_change: newEmail, email_change_confirm_status: 0 })
  const extra = { new_email: newEmail }
  await sendTokenMail(services, tx, user, {
    tokenType: 'email_change_token_new',
    address: newEmail,
    template: 'email_change',
    linkType: 'email_change',
    sentAt: 'email_change_sent_at',
    pkceMethod: 'email_change',
    link,
    extra,
  })
  if (secure && user.email) {
    // One flow state is enough: whichever link completes the change redeems it.
    await sendTokenMail(services, tx, user, {
      tokenType: 'email_change_token_current',
      address: user.email,
      template: 'email_change',
      linkType: 'email_change',
      sentAt: 'email_change_sent_at',
      pkceMethod: 'email_change',
      link,
      extra,
      flowState: false,
    })
  } else {
    await tx.query(
      "delete from auth.one_time_tokens where user_id = $1 and token_type = 'email_change_token_current'",
      [user.id],
    )
  }
}

/** A reauthentication code (`reauthentication`; code only, no link). */
export async function sendReauthentication(
  services: AuthServices,
  tx: Transaction,
  user: User,
): Promise<void> {
  checkFrequency(services, user.reauthentication_sent_at)
  const issued = await issueOneTimeToken(tx, {
    userId: user.id,
    type: 'reauthentication_token',
    address: user.email as string,
    otpLength: services.options.otpLength,
    // A code without a link: the shared derivation, which PUT /user checks the nonce with.
    key: null,
  })
  await services.users.update(tx, user.id, { reauthentication_sent_at: new Date() })
  await services.sendMail(tx, 'reauthentication', user.email as string, {
    token: issued.otp,
    email: user.email as string,
    data: user.raw_user_meta_data,
  })
}
