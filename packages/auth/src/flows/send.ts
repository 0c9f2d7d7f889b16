import type { Transaction } from '@groundwork/core'
import { AuthError } from '../errors'
import type { AuthMailTemplate } from '../mailer'
import type { AuthServices } from '../services'
import type { UserRecord } from '../users/record'
import {
  deleteOneTimeTokens,
  issueOneTimeToken,
  linkTokenKey,
  type OneTimeTokenType,
} from './one-time-tokens'
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
  /**
   * The request was already counted against the per-address throttle and email limit
   * (`services.countMailRequest`, the anti-enumeration flows): the per-user `*_sent_at` check and
   * the count at sending are skipped.
   */
  counted?: boolean
}

/** The `*_sent_at` column each kind of mail is throttled on (GoTrue's `SMTP_MAX_FREQUENCY`). */
type SentAtColumn =
  | 'confirmation_sent_at'
  | 'recovery_sent_at'
  | 'email_change_sent_at'
  | 'reauthentication_sent_at'

/** What one kind of link mail issues and sends. */
interface LinkMail {
  tokenType: OneTimeTokenType
  template: AuthMailTemplate
  /** The `type` of its `/verify` link. */
  linkType: string
  sentAt: SentAtColumn
  pkceMethod: PkceAuthenticationMethod
  /**
   * Refused within `emailFrequencySeconds` of the last one to the user, unless the request was
   * `counted` per address (invites are not throttled: an admin sends them).
   */
  throttled: boolean
}

/** The mails with a link and a code to the user's own address. Magic links share recovery's window, as in GoTrue. */
const LINK_MAILS = {
  confirmation: {
    tokenType: 'confirmation_token',
    template: 'confirm_signup',
    linkType: 'signup',
    sentAt: 'confirmation_sent_at',
    pkceMethod: 'email/signup',
    throttled: true,
  },
  invite: {
    tokenType: 'confirmation_token',
    template: 'invite',
    linkType: 'invite',
    sentAt: 'confirmation_sent_at',
    pkceMethod: 'invite',
    throttled: false,
  },
  magiclink: {
    tokenType: 'recovery_token',
    template: 'magic_link',
    linkType: 'magiclink',
    sentAt: 'recovery_sent_at',
    pkceMethod: 'magiclink',
    throttled: true,
  },
  recovery: {
    tokenType: 'recovery_token',
    template: 'recovery',
    linkType: 'recovery',
    sentAt: 'recovery_sent_at',
    pkceMethod: 'recovery',
    throttled: true,
  },
} as const satisfies Record<string, LinkMail>

/** A kind of link mail to the user's own address. */
export type LinkMailKind = keyof typeof LINK_MAILS

/**
 * GoTrue's `validateSentWithinFrequencyLimit`: 429 `over_email_send_rate_limit` when the same kind
 * of mail went to this user less than `emailFrequencySeconds` ago.
 */
function checkFrequency(services: AuthServices, sentAt: Date | null): void {
  const seconds = services.options.rateLimits.emailFrequencySeconds
  if (!sentAt || seconds <= 0) return
  const wait = Math.ceil((sentAt.getTime() + seconds * 1000 - Date.now()) / 1000)
  if (wait > 0) {
    throw new AuthError(
      'over_email_send_rate_limit',
      `For security purposes, you can only request this after ${wait} seconds.`,
      {
        status: 429,
        headers: { 'Retry-After': String(wait) },
      },
    )
  }
}

async function sendTokenMail(
  services: AuthServices,
  tx: Transaction,
  user: UserRecord,
  mail: Omit<LinkMail, 'throttled'>,
  input: {
    address: string
    link: LinkOptions
    extra?: Record<string, unknown>
    /** Open the PKCE flow state (once per request, even when two mails go out). @default true */
    flowState?: boolean
  },
): Promise<void> {
  const { options } = services
  const { link } = input
  if (link.pkce && input.flowState !== false) {
    await createFlowState(tx, { userId: user.id, pkce: link.pkce, method: mail.pkceMethod })
  }
  const issued = await issueOneTimeToken(tx, {
    userId: user.id,
    type: mail.tokenType,
    address: input.address,
    otpLength: options.otpLength,
    key: linkTokenKey(options.jwt),
    pkce: Boolean(link.pkce),
  })
  await services.users.update(tx, user.id, { [mail.sentAt]: new Date() })
  await services.sendMail(
    tx,
    mail.template,
    input.address,
    {
      confirmation_url: services.verifyUrl(mail.linkType, issued.tokenHash, link.redirectTo),
      token: issued.otp,
      token_hash: issued.tokenHash,
      email: user.email ?? input.address,
      redirect_to: link.redirectTo,
      data: user.raw_user_meta_data,
      ...input.extra,
    },
    { counted: Boolean(link.counted) },
  )
}

/**
 * A link mail to the user's address: the sign-up `confirmation`, an `invite` (also stamps
 * `invited_at`), a `magiclink` or a `recovery`.
 */
export async function sendLinkMail(
  services: AuthServices,
  tx: Transaction,
  user: UserRecord,
  kind: LinkMailKind,
  link: LinkOptions,
): Promise<void> {
  const mail = LINK_MAILS[kind]
  if (mail.throttled && !link.counted) checkFrequency(services, user[mail.sentAt])
  await sendTokenMail(services, tx, user, mail, { address: user.email as string, link })
  if (kind === 'invite') await services.users.update(tx, user.id, { invited_at: new Date() })
}

const EMAIL_CHANGE = {
  template: 'email_change',
  linkType: 'email_change',
  sentAt: 'email_change_sent_at',
  pkceMethod: 'email_change',
} as const

/**
 * The email-change mails (GoTrue's `sendEmailChange`): a link and code to the new address and,
 * with secure email change on and a current address, another to the current one; both must be
 * followed before the address changes.
 */
export async function sendEmailChange(
  services: AuthServices,
  tx: Transaction,
  user: UserRecord,
  newEmail: string,
  link: LinkOptions,
  secure: boolean,
): Promise<void> {
  if (!link.counted) checkFrequency(services, user.email_change_sent_at)
  await services.users.update(tx, user.id, { email_change: newEmail, email_change_confirm_status: 0 })
  const extra = { new_email: newEmail }
  const toNew = { ...EMAIL_CHANGE, tokenType: 'email_change_token_new' } as const
  await sendTokenMail(services, tx, user, toNew, { address: newEmail, link, extra })
  if (secure && user.email) {
    // One flow state is enough: whichever link completes the change redeems it.
    const toCurrent = { ...EMAIL_CHANGE, tokenType: 'email_change_token_current' } as const
    await sendTokenMail(services, tx, user, toCurrent, { address: user.email, link, extra, flowState: false })
  } else {
    await deleteOneTimeTokens(tx, user.id, ['email_change_token_current'])
  }
}

/** A reauthentication code (`reauthentication`; code only, no link). */
export async function sendReauthentication(
  services: AuthServices,
  tx: Transaction,
  user: UserRecord,
): Promise<void> {
  checkFrequency(services, user.reauthentication_sent_at)
  const issued = await issueOneTimeToken(tx, {
    userId: user.id,
    type: 'reauthentication_token',
    address: user.email as string,
    otpLength: services.options.otpLength,
    // A code without a link: the plain derivation, which `updateUser` checks the nonce with.
    key: null,
  })
  await services.users.update(tx, user.id, { reauthentication_sent_at: new Date() })
  await services.sendMail(tx, 'reauthentication', user.email as string, {
    token: issued.otp,
    email: user.email as string,
    data: user.raw_user_meta_data,
  })
}
