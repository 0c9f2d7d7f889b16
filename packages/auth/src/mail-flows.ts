import type { Transaction } from '@groundwork/core'
import { AuthError } from './errors'
import type { OneTimeTokenType } from './one-time-tokens'
import type { AuthServices } from './services'
import type { User } from './users'

/**
 * GoTrue's `SMTP_MAX_FREQUENCY` check: one mail of a kind per user per `emailFrequencySeconds`
 * (429 `over_email_send_rate_limit`, "For security purposes, you can only request this after N seconds.").
 */
export function assertMailFrequency(services: AuthServices, sentAt: Date | null): void {
  const window = services.options.rateLimits.emailFrequencySeconds
  if (!sentAt || window === 0) return
  const wait = Math.ceil((sentAt.getTime() + window * 1000 - Date.now()) / 1000)
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

/**
 * Issues a one-time token and mails it in `tx`: the link (`/verify?token=<token_hash>&type=…`)
 * and the numeric code, as GoTrue's templates carry both. Used by sign-up (`confirm_signup`),
 * resend and the other email flows.
 */
export async function mailOneTimeToken(
  services: AuthServices,
  tx: Transaction,
  input: {
    user: User
    tokenType: OneTimeTokenType
    /** The `type` in the verify link: `signup`, `magiclink`, `recovery`, `invite`, `email_change`. */
    verifyType: string
    template: 'confirm_signup' | 'invite' | 'magic_link' | 'recovery' | 'email_change' | 'reauthentication'
    /** Where the token is sent (the current or new address). */
    to: string
    redirectTo: string
    /** Overrides the link secret (PKCE flows prefix it with `pkce_`). */
    linkToken?: (tokenHash: string) => string
    newEmail?: string
  },
): Promise<{ otp: string; tokenHash: string }> {
  const issued = await services.oneTimeTokens.issue(tx, {
    userId: input.user.id,
    type: input.tokenType,
    relatesTo: input.to,
  })
  const linkToken = input.linkToken ? input.linkToken(issued.tokenHash) : issued.tokenHash
  await services.sendMail(tx, input.template, input.to, {
    confirmation_url: services.verifyUrl(input.verifyType, linkToken, input.redirectTo),
    token: issued.otp,
    token_hash: linkToken,
    redirect_to: input.redirectTo,
    email: input.user.email ?? input.to,
    ...(input.newEmail ? { new_email: input.newEmail } : {}),
    data: input.user.raw_user_meta_data,
  })
  return issued
}
