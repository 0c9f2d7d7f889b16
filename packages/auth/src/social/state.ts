import { randomUUID } from 'node:crypto'
import type { Queryable } from '../db'
import type { PkceChallenge } from '../flows/pkce'
import { hashToken, randomToken } from '../secrets'

/** A started external sign-in, as `GET /callback` finds it again by its `state`. */
export interface ExternalFlow {
  provider: string
  codeVerifier: string
  nonce: string | null
  redirectTo: string
  /** The client's PKCE flow state (`code_challenge` sent to `/authorize`); null for the implicit flow. */
  flowStateId: string | null
  /** The signed-in user an identity is being linked to; null for a sign-in. */
  linkUserId: string | null
  expired: boolean
}

/**
 * Records a started external sign-in and returns the `state` to send to the provider: 192
 * random bits, stored only as SHA-256, single use. The client's PKCE challenge, when it sent one,
 * becomes a `flow_state` row (`authentication_method = 'oauth'`) that the callback fills in.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.12
 */
export async function startExternalFlow(
  tx: Queryable,
  input: {
    provider: string
    codeVerifier: string
    nonce: string | null
    redirectTo: string
    pkce: PkceChallenge | null
    linkUserId: string | null
  },
): Promise<string> {
  const state = randomToken(24)
  await tx.query(
    `with f as (
       insert into auth.flow_state (auth_code, code_challenge_method, code_challenge, provider_type, authentication_method)
       select $7, $8, $9, $2, 'oauth' where $9::text is not null returning id)
     insert into auth.oauth_states (state_hash, provider, code_verifier, nonce, redirect_to, link_user_id, flow_state_id)
     values ($1, $2, $3, $4, $5, $6, (select id from f))`,
    [
      hashToken(state),
      input.provider,
      input.codeVerifier,
      input.nonce,
      input.redirectTo,
      input.linkUserId,
      // Placeholder until the callback issues a code: the hash of a value nobody knows.
      hashToken(randomToken(24)),
      input.pkce?.method ?? null,
      input.pkce?.challenge ?? null,
    ],
  )
  return state
}

/** Takes (deletes) the flow of `state`; null when there is none (unknown, tampered or used). */
export async function takeExternalFlow(
  tx: Queryable,
  state: string,
  ttlSeconds: number,
): Promise<ExternalFlow | null> {
  if (!state) return null
  const { rows } = await tx.query<{
    provider: string
    code_verifier: string
    nonce: string | null
    redirect_to: string
    flow_state_id: string | null
    link_user_id: string | null
    expired: boolean
  }>(
    `delete from auth.oauth_states where state_hash = $1
     returning provider, code_verifier, nonce, redirect_to, flow_state_id, link_user_id,
       created_at + make_interval(secs => $2) < now() as expired`,
    [hashToken(state), ttlSeconds],
  )
  const row = rows[0]
  if (!row) return null
  return {
    provider: row.provider,
    codeVerifier: row.code_verifier,
    nonce: row.nonce,
    redirectTo: row.redirect_to,
    flowStateId: row.flow_state_id,
    linkUserId: row.link_user_id,
    expired: row.expired,
  }
}

/**
 * The callback of a PKCE flow: the flow state gets its user, the provider's tokens and a fresh
 * auth code (returned once, stored hashed), which `POST /token?grant_type=pkce` then redeems.
 */
export async function completeFlowState(
  tx: Queryable,
  flowStateId: string,
  input: { userId: string; providerAccessToken: string; providerRefreshToken: string | null },
): Promise<string | null> {
  const code = randomUUID()
  const { rowCount } = await tx.query(
    `update auth.flow_state set user_id = $2, provider_access_token = $3, provider_refresh_token = $4,
       auth_code = $5, auth_code_issued_at = now(), updated_at = now()
     where id = $1`,
    [flowStateId, input.userId, input.providerAccessToken, input.providerRefreshToken, hashToken(code)],
  )
  return rowCount ? code : null
}
