import { randomBytes } from 'node:crypto'
import { named, type Queryable } from '../db'
import { AuthError } from '../errors'
import type { ResolvedAuthOptions } from '../options'
import { hashToken, randomToken } from '../secrets'
import { hydrateUser, type RawUser, SELECT_USER, type UserRecord } from '../users/record'
import { isUuid } from '../users/validation'
import type { SessionTokens } from './access-token'
import type { AmrEntry } from './jwt'
import { clientInet, rotateRefreshToken } from './refresh'
import type { IssueSessionOptions, RefreshClient, Session, SessionRow } from './types'

/** Logout scopes (GoTrue's `/logout?scope=`). */
export type SignOutScope = 'global' | 'local' | 'others'

/** Sessions: creation, refresh-token rotation, lookup and revocation, all on the caller's `tx`. */
export interface Sessions {
  /** Creates a session and its first refresh token, records the sign-in, answers the {@link Session}. */
  issue(tx: Queryable, user: UserRecord, options: IssueSessionOptions): Promise<Session>
  /** The `refresh_token` grant (see `rotateRefreshToken`). */
  refresh(tx: Queryable, refreshToken: string, client?: RefreshClient): Promise<Session>
  /**
   * The user of `userId` and, when `sessionId` is given, that session of theirs — one statement
   * (what every user-token call needs). Either is null when absent.
   */
  findUserAndSession(
    tx: Queryable,
    userId: string,
    sessionId: string | null,
  ): Promise<{ user: UserRecord | null; session: SessionRow | null }>
  /** `local`: this session; `others`: every other of the user; `global`: all of the user's. */
  logout(tx: Queryable, userId: string, sessionId: string | null, scope: SignOutScope): Promise<void>
  /** Deletes every session of the user except `keep` (after a password change, as GoTrue). */
  revokeAllExcept(tx: Queryable, userId: string, keep: string | null): Promise<void>
  /**
   * MFA verification (GoTrue's `updateMFASessionAndClaims`): raises the session to `aal`, puts
   * `method` first in its `amr` (replacing an older entry of the same method), records the factor,
   * and answers the session with a new refresh token (the session's older ones are revoked).
   */
  elevate(
    tx: Queryable,
    user: UserRecord,
    sessionId: string,
    input: { aal: 'aal2'; method: string; factorId: string },
  ): Promise<Session>
}

/** Builds the {@link Sessions} service. */
export function createSessions(deps: { options: ResolvedAuthOptions; tokens: SessionTokens }): Sessions {
  const { options, tokens } = deps
  return {
    async issue(tx, user, opts) {
      const amr: AmrEntry[] = [{ method: opts.amr, timestamp: Math.floor(Date.now() / 1000) }]
      const notAfter =
        options.sessionTimebox > 0 ? new Date(Date.now() + options.sessionTimebox * 1000) : null
      const refreshToken = randomToken(24)
      // One statement: the session, its first refresh token and the sign-in stamps.
      const { rows } = await tx.query<{ id: string; aal: string; last_sign_in_at: Date }>(
        named(
          'session_issue',
          `with s as (
           insert into auth.sessions (id, user_id, aal, amr, not_after, user_agent, ip, refresh_token_hmac_key, refreshed_at, oauth_client_id, scope)
           values (coalesce($11::uuid, gen_random_uuid()), $1, $2, $3, $4, $5, $6::inet, $7, now(), $9, $10) returning id, aal),
         t as (insert into auth.refresh_tokens (token_hash, user_id, session_id) select $8, $1, s.id from s),
         i as (update auth.identities set last_sign_in_at = now() where user_id = $1 and provider in ('email', 'phone') and $9::text is null),
         u as (update auth.users set last_sign_in_at = now() where id = $1 and $9::text is null returning last_sign_in_at)
         select s.id, s.aal, (select last_sign_in_at from u) as last_sign_in_at from s`,
          [
            user.id,
            opts.aal ?? 'aal1',
            JSON.stringify(amr),
            notAfter,
            opts.userAgent ?? null,
            clientInet(opts.ip),
            randomBytes(32).toString('base64url'),
            hashToken(refreshToken),
            opts.oauthClientId ?? null,
            opts.oauthClientId ? (opts.scope ?? '') : null,
            opts.sessionId ?? null,
          ],
        ),
      )
      const session = rows[0] as { id: string; aal: string; last_sign_in_at: Date | null }
      if (opts.oauthClientId) {
        // An OAuth grant is not a sign-in (the user signed in before consenting): no stamps.
        const grant = { oauth_client_id: opts.oauthClientId, scope: opts.scope ?? '' }
        return tokens.session(
          user,
          { id: session.id, aal: session.aal, amr, ...grant },
          refreshToken,
          opts.amr,
        )
      }
      const signedIn: UserRecord = {
        ...user,
        last_sign_in_at: session.last_sign_in_at,
        identities: user.identities.map((identity) =>
          identity.provider === 'email' || identity.provider === 'phone'
            ? { ...identity, last_sign_in_at: session.last_sign_in_at }
            : identity,
        ),
      }
      return tokens.session(signedIn, { id: session.id, aal: session.aal, amr }, refreshToken, opts.amr)
    },

    refresh: (tx, refreshToken, client) => rotateRefreshToken(deps, tx, refreshToken, client),

    async findUserAndSession(tx, userId, sessionId) {
      if (!isUuid(userId)) return { user: null, session: null }
      const sid = sessionId && isUuid(sessionId) ? sessionId : null
      const { rows } = await tx.query<RawUser & Record<`s_${string}`, unknown>>(
        named(
          'user_and_session',
          `select usr.*, s.id as s_id, s.user_id as s_user_id, s.aal as s_aal, s.amr as s_amr, s.created_at as s_created_at,
           s.updated_at as s_updated_at, s.not_after as s_not_after, s.refreshed_at as s_refreshed_at,
           s.user_agent as s_user_agent, host(s.ip) as s_ip, s.refresh_token_hmac_key as s_refresh_token_hmac_key,
           s.refresh_token_counter as s_refresh_token_counter
         from (${SELECT_USER} where u.id = $1) usr
         left join auth.sessions s on s.id = $2::uuid and s.user_id = usr.id`,
          [userId, sid],
        ),
      )
      const row = rows[0]
      if (!row) return { user: null, session: null }
      const sessionFields: Record<string, unknown> = {}
      const userFields: Record<string, unknown> = {}
      for (const [key, value] of Object.entries(row)) {
        if (key.startsWith('s_')) sessionFields[key.slice(2)] = value
        else userFields[key] = value
      }
      return {
        user: hydrateUser(userFields as unknown as RawUser),
        session: sessionFields.id ? (sessionFields as unknown as SessionRow) : null,
      }
    },

    async logout(tx, userId, sessionId, scope) {
      if (scope === 'global' || !sessionId) {
        await tx.query('delete from auth.sessions where user_id = $1', [userId])
      } else if (scope === 'local') {
        await tx.query('delete from auth.sessions where id = $1 and user_id = $2', [sessionId, userId])
      } else {
        await tx.query('delete from auth.sessions where user_id = $1 and id <> $2', [userId, sessionId])
      }
    },

    async elevate(tx, user, sessionId, input) {
      const refreshToken = randomToken(24)
      const entry: AmrEntry = { method: input.method, timestamp: Math.floor(Date.now() / 1000) }
      const { rows } = await tx.query<{ id: string; aal: string; amr: AmrEntry[] }>(
        `with s as (
           update auth.sessions set aal = $2, factor_id = $3, updated_at = now(),
             amr = jsonb_build_array($4::jsonb) || coalesce((select jsonb_agg(e) from jsonb_array_elements(amr) e
                                                           where e ->> 'method' <> $5), '[]'::jsonb)
           where id = $1 and user_id = $6 returning id, aal, amr),
         r as (update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = $1 and revoked = false),
         t as (insert into auth.refresh_tokens (token_hash, user_id, session_id) select $7, $6, s.id from s)
         select id, aal, amr from s`,
        [
          sessionId,
          input.aal,
          input.factorId,
          JSON.stringify(entry),
          input.method,
          user.id,
          hashToken(refreshToken),
        ],
      )
      const session = rows[0]
      if (!session) throw new AuthError('session_not_found', 'Session not found', { status: 403 })
      return tokens.session(user, session, refreshToken, input.method)
    },

    async revokeAllExcept(tx, userId, keep) {
      if (keep) await tx.query('delete from auth.sessions where user_id = $1 and id <> $2', [userId, keep])
      else await tx.query('delete from auth.sessions where user_id = $1', [userId])
    },
  }
}
