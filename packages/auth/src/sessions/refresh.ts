import { createHmac } from 'node:crypto'
import { auditPayload } from '../audit'
import { named, type Queryable } from '../db'
import { AuthError } from '../errors'
import type { ResolvedAuthOptions } from '../options'
import { hashToken } from '../secrets'
import { hydrateUser, isBanned, type RawUser, SELECT_USER } from '../users/record'
import type { SessionTokens } from './access-token'
import type { RefreshClient, Session, SessionRow } from './types'

/**
 * The `refresh_token` grant: refresh-token rotation with reuse detection, as GoTrue does it.
 *
 * - Every refresh rotates: the presented token is revoked and a child issued, derived as
 *   HMAC-SHA256(session key, parent), so the current token can be recomputed from an earlier one
 *   without storing tokens (only SHA-256 hashes are stored).
 * - The session row is locked `FOR UPDATE`, so concurrent refreshes of one session serialise.
 * - A revoked token that is the active token's immediate parent (its holder missed the answer), or
 *   was revoked within `refreshTokenReuseInterval`, answers the current token again.
 * - Any other reuse is theft: the whole family is revoked, the session ended, that committed, and
 *   the call fails with 400 `refresh_token_already_used`.
 *
 * @see https://supabase.com/docs/guides/auth/sessions#refresh-token-reuse-detection
 * @see https://github.com/supabase/auth/blob/master/internal/api/token_refresh.go
 */
export async function rotateRefreshToken(
  deps: { options: ResolvedAuthOptions; tokens: SessionTokens },
  tx: Queryable,
  refreshToken: string,
  client: RefreshClient = {},
): Promise<Session> {
  const { options, tokens } = deps
  const presented = hashToken(refreshToken)
  // Find the token and lock its session in one statement: every refresh of one session runs one
  // after the other, so two tabs refreshing at once see each other's rotation instead of both
  // rotating the same token. (The token's own columns may be stale after waiting for the lock;
  // they are re-read below, in a statement that starts after the lock is held.)
  const locked = await tx.query<SessionRow & { token_id: string }>(
    named(
      'refresh_lock',
      `select s.id, s.user_id, s.aal, s.amr, s.created_at, s.updated_at, s.not_after, s.refreshed_at, s.user_agent,
       host(s.ip) as ip, s.refresh_token_hmac_key, s.refresh_token_counter, s.oauth_client_id, s.scope, t.id as token_id
     from auth.refresh_tokens t join auth.sessions s on s.id = t.session_id
     where t.token_hash = $1 for update of s`,
      [presented],
    ),
  )
  const session = locked.rows[0]
  if (!session) throw invalid('refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found')
  // One statement, started after the lock is held: the token's current state, the session's active
  // token, how many rotations happened since, and the user with its identities.
  const current = await tx.query<
    RawUser & {
      rt_revoked: boolean
      rt_reusable: boolean
      active_hash: string | null
      active_parent: string | null
      newer: number | null
    }
  >(
    named(
      'refresh_state',
      `select t.revoked as rt_revoked, t.updated_at + make_interval(secs => $3) > now() as rt_reusable,
       a.token_hash as active_hash, a.parent as active_parent,
       -- Only a revoked token needs the count (a reuse); the current one skips the session's chain.
       case when t.revoked then (select count(*)::int from auth.refresh_tokens n where n.session_id = $2 and n.id > t.id) end as newer,
       usr.*
     from auth.refresh_tokens t
     cross join lateral (${SELECT_USER} where u.id = t.user_id) usr
     left join lateral (select token_hash, parent from auth.refresh_tokens
                        where session_id = $2 and revoked = false order by id desc limit 1) a on true
     where t.id = $1`,
      // An OAuth grant keeps only the immediate-parent grace: any older token is reuse (OAuth 2.1 §4.3.1).
      [session.token_id, session.id, session.oauth_client_id ? 0 : options.refreshTokenReuseInterval],
    ),
  )
  const row = current.rows[0]
  if (!row) throw invalid('refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found')
  const { rt_revoked, rt_reusable, active_hash, active_parent, newer, ...userRow } = row
  const user = hydrateUser(userRow as RawUser)
  if (!user || user.deleted_at)
    throw invalid('refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found')
  if (isBanned(user)) throw invalid('user_banned', 'Invalid Refresh Token: User Banned')
  // An OAuth grant's token refreshes only through its client at the provider's token endpoint.
  if ((session.oauth_client_id ?? undefined) !== client.oauthClientId)
    throw invalid('refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found')
  if (session.not_after && session.not_after <= new Date()) {
    throw invalid('session_expired', 'Invalid Refresh Token: Session Expired')
  }
  const lastActive = (session.refreshed_at ?? session.created_at).getTime()
  if (
    options.sessionInactivityTimeout > 0 &&
    lastActive + options.sessionInactivityTimeout * 1000 < Date.now()
  ) {
    throw invalid('session_expired', 'Invalid Refresh Token: Session Expired (Inactivity)')
  }
  const audit = [auditPayload('token_refreshed', user), (client.ip ?? '').slice(0, 64)]
  const touch = [session.id, client.userAgent ?? null, clientInet(client.ip)]

  if (rt_revoked) {
    // Walk the derivation chain from the presented token to the active one (bounded by the number
    // of rotations since). The immediately previous token always qualifies; older ones only
    // within the reuse interval.
    let answer: string | null = null
    if (active_hash && (active_parent === presented || rt_reusable)) {
      let candidate = refreshToken
      for (let i = 0; i < (newer ?? 0); i++) {
        candidate = deriveChild(session.refresh_token_hmac_key, candidate)
        if (hashToken(candidate) === active_hash) {
          answer = candidate
          break
        }
      }
    }
    if (!answer) {
      // Reuse outside the grace: revoke the family, end the session, commit that, and fail.
      await tx.query(
        `with t as (update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = $1 and revoked = false)
         update auth.sessions set not_after = now(), updated_at = now() where id = $1`,
        [session.id],
      )
      throw new AuthError('refresh_token_already_used', 'Invalid Refresh Token: Already Used', {
        status: 400,
        commit: true,
      })
    }
    await tx.query(
      `with a as (insert into auth.audit_log_entries (payload, ip_address) values ($5, $6)) ${TOUCH}`,
      [...touch, 0, ...audit],
    )
    return tokens.session(user, session, answer, 'token_refresh')
  }

  const child = deriveChild(session.refresh_token_hmac_key, refreshToken)
  // Rotate, record the refresh and audit it in one statement.
  await tx.query(
    named(
      'refresh_rotate',
      `with r as (update auth.refresh_tokens set revoked = true, updated_at = now() where id = $7),
     c as (insert into auth.refresh_tokens (token_hash, user_id, session_id, parent) values ($8, $9, $1, $10)),
     a as (insert into auth.audit_log_entries (payload, ip_address) values ($5, $6))
     ${TOUCH}`,
      [...touch, 1, ...audit, session.token_id, hashToken(child), user.id, presented],
    ),
  )
  return tokens.session(user, session, child, 'token_refresh')
}

/** The child token of `parent`: HMAC-SHA256 under the session's key, 32 base64url characters. */
function deriveChild(key: string, parent: string): string {
  return createHmac('sha256', key).update(parent).digest('base64url').slice(0, 32)
}

function invalid(
  code: 'refresh_token_not_found' | 'session_expired' | 'user_banned',
  message: string,
): AuthError {
  return new AuthError(code, message, { status: 400 })
}

/**
 * Records a refresh on the session (GoTrue's `UpdateOnlyRefreshInfo`: time, user agent, address);
 * `$4` is 1 when a token was rotated. The tail of the refresh statements above.
 */
const TOUCH = `update auth.sessions set refreshed_at = now(), updated_at = now(), user_agent = $2, ip = $3::inet,
  refresh_token_counter = refresh_token_counter + $4 where id = $1`

/** A client address Postgres' `inet` accepts, or null. */
export function clientInet(ip: string | undefined): string | null {
  return ip && /^[0-9a-f.:]+$/i.test(ip) && ip.length <= 45 ? ip : null
}
