import { hashToken, randomOtp } from './tokens'
import type { Queryable } from './users'

/** GoTrue's one-time token kinds (`auth.one_time_tokens.token_type`). */
export type OneTimeTokenType =
  | 'confirmation_token'
  | 'reauthentication_token'
  | 'recovery_token'
  | 'email_change_token_new'
  | 'email_change_token_current'
  | 'phone_change_token'

/** A row of `auth.one_time_tokens`. */
export interface OneTimeTokenRow {
  id: string
  user_id: string
  token_type: OneTimeTokenType
  token_hash: string
  relates_to: string
  created_at: Date
}

/** What {@link OneTimeTokens.issue} hands out: both go into the mail; only a hash is stored. */
export interface IssuedOneTimeToken {
  /** The numeric code (`{{ .Token }}` in GoTrue templates), for `verifyOtp({ email, token })`. */
  otp: string
  /**
   * The link secret (`{{ .TokenHash }}`): hex SHA-256 of `relatesTo + otp`, as GoTrue derives it
   * (it uses SHA-224). Sent in `/verify?token=…` links and accepted as `token_hash`.
   */
  tokenHash: string
}

/**
 * One-time tokens: one live token per (user, type), replaced on re-issue. At rest only
 * `sha256(tokenHash)` is stored, so a database dump yields no usable link.
 */
export interface OneTimeTokens {
  issue(
    tx: Queryable,
    input: { userId: string; type: OneTimeTokenType; relatesTo: string; otpLength?: number },
  ): Promise<IssuedOneTimeToken>
  /** Finds a live token by the link secret (`token_hash`), optionally of given types. Does not consume it. */
  findByTokenHash(
    tx: Queryable,
    tokenHash: string,
    types?: OneTimeTokenType[],
  ): Promise<OneTimeTokenRow | null>
  /** Finds a live token by address + code (`verifyOtp({ email, token })`). */
  findByOtp(
    tx: Queryable,
    relatesTo: string,
    otp: string,
    types?: OneTimeTokenType[],
  ): Promise<OneTimeTokenRow | null>
  /** Deletes one token (consumption). */
  consume(tx: Queryable, id: string): Promise<void>
  /** Deletes all of a user's tokens (after a password change or confirmation, as GoTrue). */
  clearForUser(tx: Queryable, userId: string): Promise<void>
}

/** The link secret for `relatesTo` + `otp` (exported for flows that rebuild it). */
export function tokenHashFor(relatesTo: string, otp: string): string {
  return hashToken(`${relatesTo.toLowerCase()}${otp}`)
}

/** The Postgres implementation of {@link OneTimeTokens}. */
export function createOneTimeTokens(defaults: { otpLength: number }): OneTimeTokens {
  const select =
    'select id, user_id, token_type, token_hash, relates_to, created_at from auth.one_time_tokens'
  return {
    async issue(tx, { userId, type, relatesTo, otpLength }) {
      const otp = randomOtp(otpLength ?? defaults.otpLength)
      const tokenHash = tokenHashFor(relatesTo, otp)
      await tx.query(
        `insert into auth.one_time_tokens (user_id, token_type, token_hash, relates_to)
         values ($1, $2, $3, $4)
         on conflict (user_id, token_type) do update
           set token_hash = excluded.token_hash, relates_to = excluded.relates_to, created_at = now(), updated_at = now()`,
        [userId, type, hashToken(tokenHash), relatesTo.toLowerCase()],
      )
      return { otp, tokenHash }
    },
    async findByTokenHash(tx, tokenHash, types) {
      const { rows } = await tx.query<OneTimeTokenRow>(
        `${select} where token_hash = $1 and ($2::text[] is null or token_type = any($2)) limit 1`,
        [hashToken(tokenHash), types ?? null],
      )
      return rows[0] ?? null
    },
    async findByOtp(tx, relatesTo, otp, types) {
      const { rows } = await tx.query<OneTimeTokenRow>(
        `${select} where token_hash = $1 and relates_to = $2 and ($3::text[] is null or token_type = any($3)) limit 1`,
        [hashToken(tokenHashFor(relatesTo, otp)), relatesTo.toLowerCase(), types ?? null],
      )
      return rows[0] ?? null
    },
    async consume(tx, id) {
      await tx.query('delete from auth.one_time_tokens where id = $1', [id])
    },
    async clearForUser(tx, userId) {
      await tx.query('delete from auth.one_time_tokens where user_id = $1', [userId])
    },
  }
}
