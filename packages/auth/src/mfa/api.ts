import { createSecretBox } from '@groundwork/core'
import type { AuthCallContext } from '../api/context'
import { AuthError } from '../errors'
import type { AuthServices } from '../services'
import { clientInet } from '../sessions/refresh'
import type { Session } from '../sessions/types'
import { isUuid, stringParam } from '../users/validation'
import { FACTOR_COLUMNS, type Factor, type FactorRow, toFactor } from './factors'
import { seedContext } from './sealed-columns'
import { newTotpSecret, qrSvg, totpStep } from './totp'

/** Input of `POST /factors` (auth-js `mfa.enroll`). */
export interface EnrollFactorInput {
  /** Only `totp`. */
  factorType: string
  friendlyName?: string
  /** The `issuer` shown by authenticator apps. @default `mfa.issuer`, else the site URL's host */
  issuer?: string
}

/** GoTrue's enroll answer (auth-js prefixes `qr_code` with `data:image/svg+xml;utf-8,`). */
export interface EnrolledFactor {
  id: string
  type: 'totp'
  friendly_name?: string
  totp: { qr_code: string; secret: string; uri: string }
}

/** GoTrue's challenge answer. */
export interface FactorChallenge {
  id: string
  type: 'totp'
  /** Seconds since the epoch. */
  expires_at: number
}

/** `auth.api.mfa`: a signed-in user's TOTP factors (each call takes their access token). */
export interface MfaApi {
  /**
   * Enrolls a TOTP factor (`POST /factors`): an unverified factor, its secret, `otpauth://` URI and
   * QR code. Once the user has a verified factor, enrolling another needs an aal2 session.
   * @see https://supabase.com/docs/reference/javascript/auth-mfa-enroll
   */
  enroll(accessToken: string, input: EnrollFactorInput, ctx?: AuthCallContext): Promise<EnrolledFactor>
  /** Creates a challenge for a factor (`POST /factors/{id}/challenge`). */
  challenge(accessToken: string, factorId: string, ctx?: AuthCallContext): Promise<FactorChallenge>
  /**
   * Verifies a code against a challenge (`POST /factors/{id}/verify`): the session becomes aal2
   * (`amr` gains `totp`) and is answered with new tokens. Codes of the current step ±1 are
   * accepted, each step once; attempts are rate-limited per factor (`rateLimits.mfaVerify`).
   * @see https://supabase.com/docs/reference/javascript/auth-mfa-verify
   */
  verify(
    accessToken: string,
    factorId: string,
    input: { challengeId: string; code: string },
    ctx?: AuthCallContext,
  ): Promise<Session>
  /** Removes a factor (`DELETE /factors/{id}`); a verified one only from an aal2 session. */
  unenroll(accessToken: string, factorId: string, ctx?: AuthCallContext): Promise<{ id: string }>
  /** The user's factors (what `user.factors` lists). */
  listFactors(accessToken: string): Promise<Factor[]>
}

/** The admin half: any user's factors (`GET|DELETE /admin/users/{id}/factors`). */
export interface MfaAdminApi {
  /** @see https://supabase.com/docs/reference/javascript/auth-admin-mfa-listfactors */
  listFactors(userId: string): Promise<Factor[]>
  /** @see https://supabase.com/docs/reference/javascript/auth-admin-mfa-deletefactor */
  deleteFactor(userId: string, factorId: string, ctx?: AuthCallContext): Promise<Factor>
}

/** Builds {@link MfaApi} and {@link MfaAdminApi}. */
export function createMfaApi(services: AuthServices): { mfa: MfaApi; admin: MfaAdminApi } {
  const { options } = services
  const mfa = options.mfa
  // TOTP seeds are sealed at rest when `encryptionKeys` are set, bound to their user.
  const box = createSecretBox(options.encryptionKeys)

  async function factorOf(
    tx: { query: AuthServices['db']['query'] },
    userId: string,
    factorId: string,
    lock = false,
  ): Promise<FactorRow & { secret: string; last_verified_step: string | null }> {
    const id = stringParam(factorId)
    const { rows } = isUuid(id)
      ? await tx.query<FactorRow & { secret: string; last_verified_step: string | null }>(
          `select ${FACTOR_COLUMNS}, secret, last_verified_step from auth.mfa_factors
           where id = $1 and user_id = $2${lock ? ' for update' : ''}`,
          [id, userId],
        )
      : { rows: [] }
    const row = rows[0]
    if (!row) throw new AuthError('mfa_factor_not_found', 'Factor not found', { status: 404 })
    return row
  }

  /** Sessions that no longer prove a factor go back to aal1 (GoTrue downgrades them on unenroll). */
  async function downgrade(tx: { query: AuthServices['db']['query'] }, userId: string, factorId: string) {
    await tx.query(
      `update auth.sessions set aal = 'aal1', factor_id = null, updated_at = now(),
         amr = coalesce((select jsonb_agg(e) from jsonb_array_elements(amr) e where e ->> 'method' <> 'totp'), '[]'::jsonb)
       where user_id = $1 and factor_id = $2`,
      [userId, factorId],
    )
  }

  const api: MfaApi = {
    async enroll(accessToken, input, ctx = {}) {
      const { user, claims } = await services.tokens.accountUser(accessToken)
      if (stringParam(input.factorType) !== 'totp') {
        throw new AuthError('validation_failed', 'factor_type needs to be totp', { status: 400 })
      }
      if (!mfa.totpEnroll) {
        throw new AuthError('mfa_totp_enroll_not_enabled', 'MFA enroll is disabled for TOTP', { status: 422 })
      }
      const friendlyName = stringParam(input.friendlyName).trim()
      const issuer = stringParam(input.issuer) || mfa.issuer || new URL(options.siteUrl).host
      const { secret, uri } = newTotpSecret(issuer, user.email || user.phone || user.id)
      const row = await services.transact(async (tx) => {
        // One user's enrolments run one at a time, so the counts below hold.
        await tx.query('select 1 from auth.users where id = $1 for update', [user.id])
        const { rows: counts } = await tx.query<{ total: number; verified: number }>(
          `select count(*)::int as total, count(*) filter (where status = 'verified')::int as verified
           from auth.mfa_factors where user_id = $1`,
          [user.id],
        )
        const { total = 0, verified = 0 } = counts[0] ?? {}
        if (verified > 0 && claims.aal !== 'aal2') {
          throw new AuthError('insufficient_aal', 'AAL2 required to enroll a new factor', { status: 403 })
        }
        if (total >= mfa.maxEnrolledFactors) {
          throw new AuthError(
            'too_many_enrolled_mfa_factors',
            'Maximum number of verified factors reached, unenroll to continue',
            { status: 422 },
          )
        }
        try {
          const { rows } = await tx.query<FactorRow>(
            `insert into auth.mfa_factors (user_id, friendly_name, factor_type, status, secret)
             values ($1, $2, 'totp', 'unverified', $3) returning ${FACTOR_COLUMNS}`,
            [user.id, friendlyName || null, box.seal(secret, seedContext(user.id))],
          )
          await services.audit(tx, 'factor_in_progress', user, {
            ip: ctx.ip,
            traits: { factor_type: 'totp' },
          })
          return rows[0] as FactorRow
        } catch (error) {
          if ((error as { code?: string }).code === '23505') {
            throw new AuthError(
              'mfa_factor_name_conflict',
              `A factor with the friendly name "${friendlyName}" for this user already exists`,
              { status: 422, cause: error },
            )
          }
          throw error
        }
      })
      return {
        id: row.id,
        type: 'totp',
        ...(row.friendly_name ? { friendly_name: row.friendly_name } : {}),
        totp: { qr_code: await qrSvg(uri), secret, uri },
      }
    },

    async challenge(accessToken, factorId, ctx = {}) {
      const { user } = await services.tokens.accountUser(accessToken)
      if (!mfa.totpVerify) {
        throw new AuthError('mfa_totp_verify_not_enabled', 'MFA verification is disabled for TOTP', {
          status: 422,
        })
      }
      return services.transact(async (tx) => {
        const factor = await factorOf(tx, user.id, factorId, true)
        const { rows } = await tx.query<{ id: string; expires_at: number }>(
          `with f as (update auth.mfa_factors set last_challenged_at = now() where id = $1)
           insert into auth.mfa_challenges (factor_id, ip_address) values ($1, $2::inet)
           returning id, floor(extract(epoch from created_at) + $3)::int as expires_at`,
          [factor.id, clientInet(ctx.ip), mfa.challengeExpiry],
        )
        const challenge = rows[0] as { id: string; expires_at: number }
        return { id: challenge.id, type: 'totp', expires_at: challenge.expires_at }
      })
    },

    async verify(accessToken, factorId, input, ctx = {}) {
      const { user, session } = await services.tokens.accountUser(accessToken)
      if (!mfa.totpVerify) {
        throw new AuthError('mfa_totp_verify_not_enabled', 'MFA verification is disabled for TOTP', {
          status: 422,
        })
      }
      if (!session) throw new AuthError('session_not_found', 'Session not found', { status: 403 })
      const challengeId = stringParam(input.challengeId)
      const code = stringParam(input.code).trim()
      // Counted before anything is checked, on its own statement: failed guesses count too.
      await services.rateLimit(`mfa_verify:${stringParam(factorId)}`, options.rateLimits.mfaVerify)
      return services.transact(async (tx) => {
        const factor = await factorOf(tx, user.id, factorId, true)
        const { rows } = isUuid(challengeId)
          ? await tx.query<{ id: string; expired: boolean; verified_at: Date | null }>(
              `select id, created_at + make_interval(secs => $3) < now() as expired, verified_at
               from auth.mfa_challenges where id = $1 and factor_id = $2 for update`,
              [challengeId, factor.id, mfa.challengeExpiry],
            )
          : { rows: [] }
        const challenge = rows[0]
        if (!challenge) throw new AuthError('mfa_factor_not_found', 'Challenge not found', { status: 404 })
        if (challenge.expired || challenge.verified_at) {
          throw new AuthError(
            'mfa_challenge_expired',
            `MFA challenge ${challenge.id} has expired, verify against another challenge or create a new challenge.`,
            { status: 422 },
          )
        }
        const step = totpStep(box.open(factor.secret, seedContext(user.id)), code)
        const last = factor.last_verified_step === null ? null : Number(factor.last_verified_step)
        if (step === null || (last !== null && step <= last)) {
          await services.audit(tx, 'verification_attempted', user, {
            ip: ctx.ip,
            traits: { factor_id: factor.id },
          })
          // `commit`: the failed attempt stays in the audit log.
          throw new AuthError('mfa_verification_failed', 'Invalid TOTP code entered', {
            status: 422,
            commit: true,
          })
        }
        await tx.query(
          `with c as (update auth.mfa_challenges set verified_at = now() where id = $2)
           update auth.mfa_factors set status = 'verified', last_verified_step = $3, updated_at = now() where id = $1`,
          [factor.id, challenge.id, step],
        )
        if (factor.status === 'unverified') {
          // GoTrue: a newly verified factor ends the user's other sessions that have not proven it.
          await tx.query(`delete from auth.sessions where user_id = $1 and id <> $2 and aal = 'aal1'`, [
            user.id,
            session.id,
          ])
        }
        await services.audit(tx, 'verification_attempted', user, {
          ip: ctx.ip,
          traits: { factor_id: factor.id, status: 'verified' },
        })
        const fresh = await services.users.findById(tx, user.id)
        return services.sessions.elevate(tx, fresh ?? user, session.id, {
          aal: 'aal2',
          method: 'totp',
          factorId: factor.id,
        })
      })
    },

    async unenroll(accessToken, factorId, ctx = {}) {
      const { user, claims } = await services.tokens.accountUser(accessToken)
      return services.transact(async (tx) => {
        const factor = await factorOf(tx, user.id, factorId, true)
        if (factor.status === 'verified' && claims.aal !== 'aal2') {
          throw new AuthError('insufficient_aal', 'AAL2 required to unenroll verified factor', {
            status: 403,
          })
        }
        await tx.query('delete from auth.mfa_factors where id = $1', [factor.id])
        await downgrade(tx, user.id, factor.id)
        await services.audit(tx, 'factor_unenrolled', user, { ip: ctx.ip, traits: { factor_id: factor.id } })
        return { id: factor.id }
      })
    },

    async listFactors(accessToken) {
      const { user } = await services.tokens.user(accessToken)
      return (user.factors ?? []).map(toFactor)
    },
  }

  const admin: MfaAdminApi = {
    async listFactors(userId) {
      const id = stringParam(userId)
      if (!isUuid(id)) throw new AuthError('user_not_found', 'User not found', { status: 404 })
      const user = await services.users.findById(services.db, id)
      if (!user) throw new AuthError('user_not_found', 'User not found', { status: 404 })
      return (user.factors ?? []).map(toFactor)
    },
    async deleteFactor(userId, factorId, ctx = {}) {
      const id = stringParam(userId)
      if (!isUuid(id)) throw new AuthError('user_not_found', 'User not found', { status: 404 })
      return services.transact(async (tx) => {
        const user = await services.users.findById(tx, id)
        if (!user) throw new AuthError('user_not_found', 'User not found', { status: 404 })
        const factor = await factorOf(tx, user.id, factorId, true)
        await tx.query('delete from auth.mfa_factors where id = $1', [factor.id])
        await downgrade(tx, user.id, factor.id)
        await services.audit(tx, 'factor_unenrolled', ctx.actor ?? null, {
          ip: ctx.ip,
          traits: { factor_id: factor.id },
        })
        return toFactor(factor)
      })
    },
  }
  return { mfa: api, admin }
}
