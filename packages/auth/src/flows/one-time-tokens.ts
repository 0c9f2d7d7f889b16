import { createHmac } from 'node:crypto'
import type { Queryable } from '../db'
import { AuthError } from '../errors'
import { hashToken, randomOtp, safeEqual } from '../secrets'

/** GoTrue's one-time token kinds (`auth.one_time_tokens.token_type`). */
export type OneTimeTokenType =
  | 'confirmation_token'
  | 'reauthentication_token'
  | 'recovery_token'
  | 'email_change_token_new'
  | 'email_change_token_current'
  | 'phone_change_token'

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
 * The secret that link tokens are derived under, from the JWT signing material (so every instance
 * sharing the configuration derives the same one). Rotating the JWT secret invalidates
 * outstanding links, which live `otpExpiresIn` at most.
 */
export function linkTokenKey(jwt: {
  secret?: string | undefined
  keys?: readonly { d?: unknown }[] | undefined
}): Buffer {
  const cached = KEYS.get(jwt)
  if (cached) return cached
  const material = jwt.secret ?? JSON.stringify((jwt.keys ?? []).map((key) => key.d ?? ''))
  const key = createHmac('sha256', 'groundwork-auth/link-token/v1').update(material).digest()
  KEYS.set(jwt, key)
  return key
}
const KEYS = new WeakMap<object, Buffer>()

/**
 * The link token for an address and code: the `token` of emailed links and the `token_hash` of
 * templates (GoTrue's `{{ .TokenHash }}`), accepted by `POST /verify { token_hash }`.
 *
 * GoTrue derives it as SHA-224(email ‖ code), which anyone knowing the address can compute for
 * all 10^6 codes and try against `GET /verify`, where no address is known to rate-limit by. Under
 * a server-side `key` (HMAC-SHA256) the link token cannot be derived from the address and code, so
 * guessing is confined to `POST /verify` with the address, which is limited per address. Without a
 * key (codes that never travel in a link: reauthentication) it is SHA-256(address ‖ code).
 */
export function linkTokenHash(address: string, otp: string, key: Uint8Array | null): string {
  const message = `${address.toLowerCase()}${otp}`
  return key ? createHmac('sha256', key).update(message).digest('hex') : hashToken(message)
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
  tx: Queryable,
  input: {
    userId: string
    type: OneTimeTokenType
    address: string
    otpLength: number
    /** From {@link linkTokenKey}; null for codes that are never sent as a link. */
    key: Uint8Array | null
    pkce?: boolean
  },
): Promise<IssuedToken> {
  const otp = randomOtp(input.otpLength)
  const address = input.address.toLowerCase()
  const tokenHash = (input.pkce ? PKCE_PREFIX : '') + linkTokenHash(address, otp, input.key)
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
  tx: Queryable,
  input: { types: readonly OneTimeTokenType[]; expiresIn: number; key: Uint8Array | null } & (
    | { tokenHash: string }
    | { address: string; otp: string }
  ),
): Promise<ConsumedToken> {
  let candidates: string[]
  let address: string | null = null
  let message: string
  if ('tokenHash' in input) {
    // A `pkce_` token is stored with its prefix: stripping it does not make an implicit-flow link.
    candidates = [input.tokenHash]
    message = EXPIRED_LINK
  } else {
    address = input.address.toLowerCase()
    const hash = linkTokenHash(address, input.otp.trim(), input.key)
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

/**
 * The live reauthentication code `nonce` of `address` (GoTrue's `verifyReauthentication`), or null;
 * not consumed (the password change deletes it with {@link deleteOneTimeTokens}).
 */
export async function findReauthenticationToken(
  db: Queryable,
  address: string,
  nonce: string,
): Promise<{ id: string; user_id: string; created_at: Date } | null> {
  const { rows } = await db.query<{ id: string; user_id: string; created_at: Date }>(
    `select id, user_id, created_at from auth.one_time_tokens
      where token_hash = $1 and relates_to = $2 and token_type = 'reauthentication_token' limit 1`,
    [hashToken(linkTokenHash(address, nonce, null)), address.toLowerCase()],
  )
  return rows[0] ?? null
}

/** Deletes a user's one-time tokens (after a password change, as GoTrue), or only those of `types`. */
export async function deleteOneTimeTokens(
  tx: Queryable,
  userId: string,
  types?: readonly OneTimeTokenType[],
): Promise<void> {
  await tx.query(
    'delete from auth.one_time_tokens where user_id = $1 and ($2::text[] is null or token_type = any($2))',
    [userId, types ?? null],
  )
}
