import type { Transaction } from '@groundwork/core'
import { AuthError } from '../errors'
import { type OneTimeTokenType, tokenHashFor } from '../one-time-tokens'
import { hashToken, randomOtp, safeEqual } from '../tokens'

export type { OneTimeTokenType }

/** GoTrue's `/verify` types for email, and the token kinds each one may consume. */
export const VERIFY_TYPES = {
  signup: ['confirmation_token'],
  invite: ['confirmation_token'],
  magiclink: ['recovery_token'],
  recovery: ['recovery_token'],
  email_change: ['email_change_token_new', 'email_change_token_current'],
  /** `type: 'email'` (auth-js `verifyOtp({ type: 'email' })`): a sign-up confirmation or a magic link. */
  email: ['confirmation_token', 'recovery_token'],
} as const satisfies Record<string, readonly OneTimeTokenType[]>

/** A `/verify` type this package handles. */
export type EmailVerifyType = keyof typeof VERIFY_TYPES

/** Whether `type` is a `/verify` type for email. */
export function isEmailVerifyType(type: unknown): type is EmailVerifyType {
  return typeof type === 'string' && Object.hasOwn(VERIFY_TYPES, type)
}

/** GoTrue's `PKCEPrefix`: link tokens of PKCE flows carry it, so `GET /verify` answers with `?code=`. */
export const PKCE_PREFIX = 'pkce_'

/**
 * The link token for an address and code: the shared derivation of `../one-time-tokens`
 * (`tokenHashFor`), so tokens issued by sign-up and by these flows verify the same way. It is the
 * `token` of emailed links and the `token_hash` template variable (GoTrue's `{{ .TokenHash }}`).
 */
export function linkTokenHash(address: string, otp: string): string {
  return tokenHashFor(address, otp)
}

/** A freshly issued token: what goes into the mail (never stored as such). */
export interface IssuedToken {
  /** The `otpLength`-digit code. */
  otp: string
  /** The link token (`pkce_` + hash for PKCE flows), the `token_hash` of templates and generate_link. */
  tokenHash: string
}

/**
 * Issues a one-time token of `type` for `userId`, sent to `address`: replaces any earlier token of
 * that kind (one live token per kind, as GoTrue) and stores only SHA-256 of the link token, so a
 * database dump yields neither working links nor codes.
 */
export async function issueOneTimeToken(
  tx: Transaction,
  input: { userId: string; type: OneTimeTokenType; address: string; otpLength: number; pkce?: boolean },
): Promise<IssuedToken> {
  const otp = randomOtp(input.otpLength)
  const address = input.address.toLowerCase()
  const tokenHash = (input.pkce ? PKCE_PREFIX : '') + linkTokenHash(address, otp)
  await tx.query(
    `insert into auth.one_time_tokens (user_id, token_type, token_hash, relates_to)
     values ($1, $2, $3, $4)
     on conflict (user_id, token_type)
     do update set token_hash = excluded.token_hash, relates_to = excluded.relates_to,
                   created_at = now(), updated_at = now()`,
    [input.userId, input.type, hashToken(tokenHash), address],
  )
  return { otp, tokenHash }
}

/** A consumed token. */
export interface ConsumedToken {
  userId: string
  type: OneTimeTokenType
  /** The address the token was sent to. */
  address: string
  /** The token was issued for a PKCE flow (its link carries the `pkce_` prefix). */
  pkce: boolean
}

const EXPIRED_LINK = 'Email link is invalid or has expired'
const EXPIRED_OTP = 'Token has expired or is invalid'

/**
 * Consumes a one-time token, by link token (`token_hash`) or by address + code. The row is
 * deleted in the caller's transaction (single use: of two concurrent verifications one finds
 * nothing), an expired one too. Any miss is GoTrue's 403 `otp_expired`, so an attacker cannot tell
 * a wrong code from an expired one or from an unknown address.
 */
export async function consumeOneTimeToken(
  tx: Transaction,
  input: { types: readonly OneTimeTokenType[]; expiresIn: number } & (
    | { tokenHash: string }
    | { address: string; otp: string }
  ),
): Promise<ConsumedToken> {
  let candidates: string[]
  let address: string | null = null
  let message: string
  if ('tokenHash' in input) {
    // A `pkce_` link token is stored with its prefix when these flows issued it; tokens issued
    // through the shared service (sign-up) are stored without it and only carry it in the link.
    candidates = input.tokenHash.startsWith(PKCE_PREFIX)
      ? [input.tokenHash, input.tokenHash.slice(PKCE_PREFIX.length)]
      : [input.tokenHash]
    message = EXPIRED_LINK
  } else {
    address = input.address.toLowerCase()
    const hash = linkTokenHash(address, input.otp.trim())
    candidates = [hash, PKCE_PREFIX + hash]
    message = EXPIRED_OTP
  }
  const hashes = candidates.map(hashToken)
  const { rows } = await tx.query<{
    user_id: string
    token_type: OneTimeTokenType
    token_hash: string
    relates_to: string
    expired: boolean
  }>(
    `delete from auth.one_time_tokens
      where token_hash = any($1::text[]) and token_type = any($2::text[])
        and ($3::text is null or relates_to = $3)
      returning user_id, token_type, token_hash, relates_to,
                created_at + make_interval(secs => $4) < now() as expired`,
    [hashes, input.types, address, input.expiresIn],
  )
  const row = rows[0]
  if (!row || !hashes.some((hash) => safeEqual(hash, row.token_hash))) {
    throw new AuthError('otp_expired', message, { status: 403 })
  }
  if (row.expired) throw new AuthError('otp_expired', message, { status: 403 })
  return {
    userId: row.user_id,
    type: row.token_type,
    address: row.relates_to,
    pkce: 'tokenHash' in input ? input.tokenHash.startsWith(PKCE_PREFIX) : row.token_hash === hashes[1],
  }
}
