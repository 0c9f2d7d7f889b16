import { createHash, randomUUID } from 'node:crypto'
import type { Queryable } from '../db'
import { AuthError } from '../errors'
import { hashToken, safeEqual } from '../secrets'

/**
 * PKCE (RFC 7636) for the email flows, as GoTrue does it: a `flow_state` row remembers the
 * `code_challenge` sent with `/signup`, `/otp`, `/recover` or `PUT /user`; the emailed link then
 * carries a `pkce_` token, `GET /verify` redirects with `?code=`, and `POST /token?grant_type=pkce`
 * trades that code plus the `code_verifier` for a session. Only SHA-256 of the code is stored.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/pkce.go
 * @see https://www.rfc-editor.org/rfc/rfc7636
 */

/** RFC 7636 §4.2 bounds and alphabet of a code challenge (GoTrue checks the same). */
const MIN_CHALLENGE = 43
const MAX_CHALLENGE = 128
const CHALLENGE_ALPHABET = /^[a-zA-Z0-9._~-]+$/

/** How long a flow state is good for (GoTrue's `FlowStateExpiryDuration`, 300 s). */
export const FLOW_STATE_TTL_SECONDS = 300

/** GoTrue's authentication method names stored in `flow_state.authentication_method` (and the `amr`). */
export type PkceAuthenticationMethod =
  | 'email/signup'
  | 'invite'
  | 'magiclink'
  | 'recovery'
  | 'email_change'
  | 'otp'
  | 'oauth'

/** The PKCE part of an input (`code_challenge`, `code_challenge_method`); both or neither. */
export interface PkceInput {
  codeChallenge?: unknown
  codeChallengeMethod?: unknown
}

/** A validated challenge, or `null` for the implicit flow. */
export interface PkceChallenge {
  challenge: string
  method: 's256' | 'plain'
}

/** GoTrue's `validatePKCEParams` + `ParseCodeChallengeMethod`: 400 `validation_failed` on misuse. */
export function parsePkce(input: PkceInput): PkceChallenge | null {
  const challenge = typeof input.codeChallenge === 'string' ? input.codeChallenge : ''
  const method = typeof input.codeChallengeMethod === 'string' ? input.codeChallengeMethod : ''
  if ((challenge === '') !== (method === '')) {
    throw new AuthError('validation_failed', 'PKCE flow requires code_challenge_method and code_challenge', {
      status: 400,
    })
  }
  if (challenge === '') return null
  if (challenge.length < MIN_CHALLENGE || challenge.length > MAX_CHALLENGE) {
    throw new AuthError(
      'validation_failed',
      `code challenge has to be between ${MIN_CHALLENGE} and ${MAX_CHALLENGE} characters`,
      { status: 400 },
    )
  }
  if (!CHALLENGE_ALPHABET.test(challenge)) {
    throw new AuthError(
      'validation_failed',
      'code challenge can only contain alphanumeric characters, hyphens, periods, underscores and tildes',
      { status: 400 },
    )
  }
  const lower = method.toLowerCase()
  if (lower !== 's256' && lower !== 'plain') {
    throw new AuthError('validation_failed', `unsupported code_challenge method "${method}"`, { status: 400 })
  }
  return { challenge, method: lower }
}

/** Records a flow state for `userId` (GoTrue's `generateFlowState`). */
export async function createFlowState(
  tx: Queryable,
  input: { userId: string; pkce: PkceChallenge; method: PkceAuthenticationMethod; providerType?: string },
): Promise<void> {
  await tx.query(
    `insert into auth.flow_state (user_id, auth_code, code_challenge_method, code_challenge, provider_type,
       authentication_method)
     values ($1, $2, $3, $4, $5, $6)`,
    [
      input.userId,
      // Placeholder until a code is issued: the hash of a value nobody knows.
      hashToken(randomUUID()),
      input.pkce.method,
      input.pkce.challenge,
      input.providerType ?? input.method,
      input.method,
    ],
  )
}

/**
 * GoTrue's `issueAuthCode`: after a verified `pkce_` link, the newest flow state of the user for
 * that method gets a fresh auth code (returned once, stored hashed). 422 `flow_state_not_found`
 * when there is none.
 */
export async function issueAuthCode(
  tx: Queryable,
  userId: string,
  method: PkceAuthenticationMethod,
): Promise<string> {
  const code = randomUUID()
  const { rowCount } = await tx.query(
    `update auth.flow_state set auth_code = $3, auth_code_issued_at = now(), updated_at = now()
      where id = (select id from auth.flow_state where user_id = $1 and authentication_method = $2
                  order by created_at desc limit 1)`,
    [userId, method, hashToken(code)],
  )
  if (!rowCount) {
    throw new AuthError('flow_state_not_found', 'No valid flow state found for user.', { status: 422 })
  }
  return code
}

/** A flow state traded for a session. */
export interface ExchangedFlow {
  userId: string
  method: PkceAuthenticationMethod
  /** The provider's tokens of a social sign-in (`provider_token`, `provider_refresh_token`). */
  providerAccessToken?: string | null
  providerRefreshToken?: string | null
}

/**
 * `POST /token?grant_type=pkce`: finds the flow state by auth code, checks expiry and the
 * verifier (constant time) and deletes it (single use, even when the verifier is wrong, so a code
 * cannot be brute-forced against its verifier).
 */
export async function exchangeAuthCode(
  tx: Queryable,
  input: { authCode: string; codeVerifier: string; ttlSeconds?: number },
): Promise<ExchangedFlow> {
  if (!input.authCode || !input.codeVerifier) {
    throw new AuthError(
      'validation_failed',
      'invalid request: both auth code and code verifier should be non-empty',
      { status: 400 },
    )
  }
  const ttl = input.ttlSeconds ?? FLOW_STATE_TTL_SECONDS
  const { rows } = await tx.query<{
    user_id: string | null
    code_challenge: string
    code_challenge_method: 's256' | 'plain'
    authentication_method: PkceAuthenticationMethod
    provider_access_token: string | null
    provider_refresh_token: string | null
    expired: boolean
  }>(
    `delete from auth.flow_state where auth_code = $1
     returning user_id, code_challenge, code_challenge_method, authentication_method, provider_access_token,
       provider_refresh_token,
       (case when auth_code_issued_at is not null then auth_code_issued_at else created_at end)
         + make_interval(secs => $2) < now() as expired`,
    [hashToken(input.authCode), ttl],
  )
  const row = rows[0]
  if (!row || row.user_id === null) {
    throw new AuthError('flow_state_not_found', 'invalid flow state, no valid flow state found', {
      status: 404,
    })
  }
  if (row.expired) {
    throw new AuthError('flow_state_expired', 'invalid flow state, flow state has expired', {
      status: 422,
      commit: true,
    })
  }
  const expected =
    row.code_challenge_method === 's256'
      ? createHash('sha256').update(input.codeVerifier).digest('base64url')
      : input.codeVerifier
  if (!safeEqual(expected, row.code_challenge)) {
    // `commit`: the flow state stays deleted, so a code cannot be tried against many verifiers.
    throw new AuthError('bad_code_verifier', 'code challenge does not match previously saved code verifier', {
      status: 400,
      commit: true,
    })
  }
  return {
    userId: row.user_id,
    method: row.authentication_method,
    providerAccessToken: row.provider_access_token,
    providerRefreshToken: row.provider_refresh_token,
  }
}

/** The `flow_state.authentication_method` for a `/verify` type (GoTrue's `ParseAuthenticationMethod`). */
export function authenticationMethodFor(type: string): PkceAuthenticationMethod {
  switch (type) {
    case 'signup':
      return 'email/signup'
    case 'invite':
      return 'invite'
    case 'magiclink':
      return 'magiclink'
    case 'recovery':
      return 'recovery'
    case 'email_change':
      return 'email_change'
    default:
      return 'otp'
  }
}
