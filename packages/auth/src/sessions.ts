import { createHmac, randomBytes } from 'node:crypto'
import { auditPayload } from './audit'
import { AuthError } from './errors'
import type { AccessTokenClaims, AmrEntry, TokenSigner } from './jwt'
import type { ResolvedAuthOptions } from './options'
import { hashToken, randomToken } from './tokens'
import {
  hydrateUser,
  isBanned,
  type Queryable,
  type RawUser,
  SELECT_USER,
  toUserJson,
  type User,
} from './users'

/** A row of `auth.sessions`. */
export interface SessionRow {
  id: string
  user_id: string
  aal: string
  amr: AmrEntry[]
  created_at: Date
  updated_at: Date
  not_after: Date | null
  refreshed_at: Date | null
  user_agent: string | null
  ip: string | null
  refresh_token_hmac_key: string
  refresh_token_counter: string
}

/**
 * The session JSON GoTrue answers sign-ins and refreshes with (`AccessTokenResponse`), which
 * auth-js stores as its `Session`.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/token.go
 */
export interface SessionResponse {
  access_token: string
  token_type: 'bearer'
  expires_in: number
  expires_at: number
  refresh_token: string
  user: Record<string, unknown>
  [field: string]: unknown
}

/** How a session was established; becomes the `amr` claim's `method`. */
export type AuthenticationMethod =
  | 'password'
  | 'otp'
  | 'magiclink'
  | 'email/signup'
  | 'email_change'
  | 'recovery'
  | 'invite'
  | 'anonymous'
  | 'pkce'
  | 'token_refresh'
  | (string & {})

/** Options for {@link Sessions.issue}. */
export interface IssueSessionOptions {
  /** The `amr` method recorded for this sign-in. */
  amr: AuthenticationMethod
  /** @default 'aal1' */
  aal?: 'aal1' | 'aal2'
  ip?: string
  userAgent?: string | null
}

/** Sessions, refresh-token rotation and access-token minting. */
export interface Sessions {
  /**
   * Creates a session and its first refresh token on `tx`, records the sign-in, and answers the
   * GoTrue session JSON.
   */
  issue(tx: Queryable, user: User, options: IssueSessionOptions): Promise<SessionResponse>
  /**
   * The `refresh_token` grant: rotates the token (row-locked so concurrent refreshes serialise),
   * answers the current token again for the immediately previous one or within the reuse
   * interval, and otherwise revokes the whole session and throws `refresh_token_already_used`.
   */
  refresh(
    tx: Queryable,
    refreshToken: string,
    client?: { ip?: string; userAgent?: string | null },
  ): Promise<SessionResponse>
  /** Signs an access token for an existing session. */
  accessToken(
    user: User,
    session: Pick<SessionRow, 'id' | 'aal' | 'amr'>,
    method?: string,
  ): Promise<{ token: string; expiresAt: number }>
  find(tx: Queryable, id: string): Promise<SessionRow | null>
  /**
   * The user of `userId` and, when `sessionId` is given, that session of theirs — one statement
   * (what every user-token request needs). Either is null when absent.
   */
  findUserAndSession(
    tx: Queryable,
    userId: string,
    sessionId: string | null,
  ): Promise<{ user: User | null; session: SessionRow | null }>
  /** `scope`: `local` (this session), `others` (every other of the user), `global` (all of the user's). */
  logout(
    tx: Queryable,
    userId: string,
    sessionId: string | null,
    scope: 'global' | 'local' | 'others',
  ): Promise<void>
  /** Deletes every session of the user except `keep` (after a password change, as GoTrue). */
  revokeAllExcept(tx: Queryable, userId: string, keep: string | null): Promise<void>
}

const SESSION_COLUMNS =
  'id, user_id, aal, amr, created_at, updated_at, not_after, refreshed_at, user_agent, host(ip) as ip, refresh_token_hmac_key, refresh_token_counter'
const SESSION_COLUMNS_OF_S =
  's.id, s.user_id, s.aal, s.amr, s.created_at, s.updated_at, s.not_after, s.refreshed_at, s.user_agent, host(s.ip) as ip, s.refresh_token_hmac_key, s.refresh_token_counter'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The child token of `parent`: HMAC-SHA256 under the session's key, 32 base64url characters. */
function deriveChild(key: string, parent: string): string {
  return createHmac('sha256', key).update(parent).digest('base64url').slice(0, 32)
}

/** Builds the session service. */
export function createSessions(deps: {
  options: ResolvedAuthOptions
  signer: TokenSigner
  issuer: string
}): Sessions {
  const { options, signer, issuer } = deps

  async function accessToken(
    user: User,
    session: Pick<SessionRow, 'id' | 'aal' | 'amr'>,
    method = 'token_refresh',
  ) {
    const iat = Math.floor(Date.now() / 1000)
    const exp = iat + options.jwt.expiresIn
    let claims: AccessTokenClaims = {
      iss: issuer,
      sub: user.id,
      aud: user.aud,
      exp,
      iat,
      email: user.email ?? '',
      phone: user.phone ?? '',
      app_metadata: user.raw_app_meta_data ?? {},
      user_metadata: user.raw_user_meta_data ?? {},
      role: user.role,
      aal: session.aal,
      amr: session.amr,
      session_id: session.id,
      is_anonymous: user.is_anonymous,
    }
    const hook = options.hooks.customAccessTokenClaims
    if (hook) {
      const custom = await hook({
        userId: user.id,
        claims: { ...claims },
        authenticationMethod: method,
        user,
      })
      // Required claims cannot be removed or rewritten (GoTrue validates the hook output likewise).
      claims = {
        ...custom,
        iss: claims.iss,
        sub: claims.sub,
        aud: custom.aud ?? claims.aud,
        exp: claims.exp,
        iat: claims.iat,
        role: typeof custom.role === 'string' ? custom.role : claims.role,
        aal: claims.aal,
        session_id: claims.session_id,
        email: claims.email,
        phone: claims.phone,
        is_anonymous: claims.is_anonymous,
        amr: claims.amr,
        app_metadata: custom.app_metadata ?? claims.app_metadata,
        user_metadata: custom.user_metadata ?? claims.user_metadata,
      }
    }
    return { token: await signer.sign(claims), expiresAt: exp }
  }

  async function respond(
    user: User,
    session: Pick<SessionRow, 'id' | 'aal' | 'amr'>,
    refreshToken: string,
    method: string,
  ) {
    const { token, expiresAt } = await accessToken(user, session, method)
    return {
      access_token: token,
      token_type: 'bearer' as const,
      expires_in: options.jwt.expiresIn,
      expires_at: expiresAt,
      refresh_token: refreshToken,
      user: toUserJson(user),
    }
  }

  const invalid = (
    code: 'refresh_token_not_found' | 'refresh_token_already_used' | 'session_expired' | 'user_banned',
    message: string,
  ) => new AuthError(code, message, { status: 400 })

  const sessions: Sessions = {
    accessToken,
    async issue(tx, user, opts) {
      const now = Math.floor(Date.now() / 1000)
      const amr: AmrEntry[] = [{ method: opts.amr, timestamp: now }]
      const notAfter =
        options.sessionTimebox > 0 ? new Date(Date.now() + options.sessionTimebox * 1000) : null
      const refreshToken = randomToken(24)
      // One statement: the session, its first refresh token and the sign-in stamps.
      const { rows } = await tx.query<{ id: string; aal: string; last_sign_in_at: Date }>(
        `with s as (
           insert into auth.sessions (user_id, aal, amr, not_after, user_agent, ip, refresh_token_hmac_key, refreshed_at)
           values ($1, $2, $3, $4, $5, $6::inet, $7, now()) returning id, aal),
         t as (insert into auth.refresh_tokens (token_hash, user_id, session_id) select $8, $1, s.id from s),
         i as (update auth.identities set last_sign_in_at = now() where user_id = $1 and provider in ('email', 'phone')),
         u as (update auth.users set last_sign_in_at = now() where id = $1 returning last_sign_in_at)
         select s.id, s.aal, (select last_sign_in_at from u) as last_sign_in_at from s`,
        [
          user.id,
          opts.aal ?? 'aal1',
          JSON.stringify(amr),
          notAfter,
          opts.userAgent ?? null,
          opts.ip && isIp(opts.ip) ? opts.ip : null,
          randomBytes(32).toString('base64url'),
          hashToken(refreshToken),
        ],
      )
      const session = rows[0] as { id: string; aal: string; last_sign_in_at: Date }
      const signedIn: User = {
        ...user,
        last_sign_in_at: session.last_sign_in_at,
        identities: user.identities.map((identity) =>
          identity.provider === 'email' || identity.provider === 'phone'
            ? { ...identity, last_sign_in_at: session.last_sign_in_at }
            : identity,
        ),
      }
      return respond(signedIn, { id: session.id, aal: session.aal, amr }, refreshToken, opts.amr)
    },

    async refresh(tx, refreshToken, client = {}) {
      const presented = hashToken(refreshToken)
      // Find the token and lock its session in one statement: every refresh of one session runs
      // one after the other, so two tabs refreshing at once see each other's rotation instead of
      // both rotating the same token. (The token's own columns may be stale after waiting for the
      // lock; they are re-read below, in a statement that starts after the lock is held.)
      const locked = await tx.query<SessionRow & { token_id: string }>(
        `select ${SESSION_COLUMNS_OF_S}, t.id as token_id
         from auth.refresh_tokens t join auth.sessions s on s.id = t.session_id
         where t.token_hash = $1 for update of s`,
        [presented],
      )
      const session = locked.rows[0]
      if (!session) throw invalid('refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found')
      // One statement, started after the lock is held: the token's current state, the session's
      // active token, how many rotations happened since, and the user with its identities.
      const current = await tx.query<
        RawUser & {
          rt_revoked: boolean
          rt_reusable: boolean
          active_hash: string | null
          active_parent: string | null
          newer: number
        }
      >(
        `select t.revoked as rt_revoked, t.updated_at + make_interval(secs => $3) > now() as rt_reusable,
           a.token_hash as active_hash, a.parent as active_parent,
           (select count(*)::int from auth.refresh_tokens n where n.session_id = $2 and n.id > t.id) as newer,
           usr.*
         from auth.refresh_tokens t
         cross join lateral (${SELECT_USER} where u.id = t.user_id) usr
         left join lateral (select token_hash, parent from auth.refresh_tokens
                            where session_id = $2 and revoked = false order by id desc limit 1) a on true
         where t.id = $1`,
        [session.token_id, session.id, options.refreshTokenReuseInterval],
      )
      const row = current.rows[0]
      if (!row) throw invalid('refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found')
      const { rt_revoked, rt_reusable, active_hash, active_parent, newer, ...userRow } = row
      const state = { revoked: rt_revoked, reusable: rt_reusable, active_hash, active_parent, newer }
      const user = hydrateUser(userRow as RawUser)
      if (!user || user.deleted_at)
        throw invalid('refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found')
      if (isBanned(user)) throw invalid('user_banned', 'Invalid Refresh Token: User Banned')
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
      const auditEntry = auditPayload('token_refreshed', user)

      if (state.revoked) {
        // Walk the derivation chain from the presented token to the active one (bounded by the
        // number of rotations since). The immediately previous token always qualifies (its
        // holder missed the answer to its refresh); older ones only within the reuse interval.
        let answer: string | null = null
        if (state.active_hash && (state.active_parent === presented || state.reusable)) {
          let candidate = refreshToken
          for (let i = 0; i < state.newer; i++) {
            candidate = deriveChild(session.refresh_token_hmac_key, candidate)
            if (hashToken(candidate) === state.active_hash) {
              answer = candidate
              break
            }
          }
        }
        if (!answer) {
          // Reuse outside the grace: treat as theft. Revoke the whole family, end the session,
          // commit that, and fail (GoTrue's NewCommitWithError).
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
          `with a as (insert into auth.audit_log_entries (payload, ip_address) values ($5, $6))
           ${TOUCH_SESSION}`,
          [
            session.id,
            client.userAgent ?? null,
            clientInet(client.ip),
            0,
            auditEntry,
            (client.ip ?? '').slice(0, 64),
          ],
        )
        return respond(user, session, answer, 'token_refresh')
      }

      const child = deriveChild(session.refresh_token_hmac_key, refreshToken)
      // Rotate, record the refresh and audit it in one statement.
      await tx.query(
        `with r as (update auth.refresh_tokens set revoked = true, updated_at = now() where id = $7),
         c as (insert into auth.refresh_tokens (token_hash, user_id, session_id, parent) values ($8, $9, $1, $10)),
         a as (insert into auth.audit_log_entries (payload, ip_address) values ($5, $6))
         ${TOUCH_SESSION}`,
        [
          session.id,
          client.userAgent ?? null,
          clientInet(client.ip),
          1,
          auditEntry,
          (client.ip ?? '').slice(0, 64),
          session.token_id,
          hashToken(child),
          user.id,
          presented,
        ],
      )
      return respond(user, session, child, 'token_refresh')
    },

    async find(tx, id) {
      if (!/^[0-9a-f-]{36}$/i.test(id)) return null
      const { rows } = await tx.query<SessionRow>(
        `select ${SESSION_COLUMNS} from auth.sessions where id = $1`,
        [id],
      )
      return rows[0] ?? null
    },

    async findUserAndSession(tx, userId, sessionId) {
      if (!UUID.test(userId)) return { user: null, session: null }
      const sid = sessionId && UUID.test(sessionId) ? sessionId : null
      const { rows } = await tx.query<RawUser & Record<`s_${string}`, unknown>>(
        `select usr.*, s.id as s_id, s.user_id as s_user_id, s.aal as s_aal, s.amr as s_amr, s.created_at as s_created_at,
           s.updated_at as s_updated_at, s.not_after as s_not_after, s.refreshed_at as s_refreshed_at,
           s.user_agent as s_user_agent, host(s.ip) as s_ip, s.refresh_token_hmac_key as s_refresh_token_hmac_key,
           s.refresh_token_counter as s_refresh_token_counter
         from (${SELECT_USER} where u.id = $1) usr
         left join auth.sessions s on s.id = $2::uuid and s.user_id = usr.id`,
        [userId, sid],
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

    async revokeAllExcept(tx, userId, keep) {
      if (keep) await tx.query('delete from auth.sessions where user_id = $1 and id <> $2', [userId, keep])
      else await tx.query('delete from auth.sessions where user_id = $1', [userId])
    },
  }
  return sessions
}

/**
 * Records a refresh on the session (GoTrue's `UpdateOnlyRefreshInfo`: time, user agent, address);
 * `$4` is 1 when a token was rotated. The tail of the refresh statements above.
 */
const TOUCH_SESSION = `update auth.sessions set refreshed_at = now(), updated_at = now(), user_agent = $2, ip = $3::inet,
  refresh_token_counter = refresh_token_counter + $4 where id = $1`

function clientInet(ip: string | undefined): string | null {
  return ip && isIp(ip) ? ip : null
}

function isIp(value: string): boolean {
  return /^[0-9a-f.:]+$/i.test(value) && value.length <= 45
}
