import { defineTask } from '@groundwork/core'
import { z } from 'zod'
import type { Queryable } from './db'
import type { ResolvedAuthOptions } from './options'

/** Rows removed by {@link cleanup}. */
export interface CleanupResult {
  oneTimeTokens: number
  flowStates: number
  sessions: number
  refreshTokens: number
  rateLimits: number
  /** Ended windows of API-key budgets (`auth.api_usage`). */
  apiUsage: number
  auditLogEntries: number
  /** Revoked client-credentials token ids past their token's expiry (`auth.oauth_revoked_tokens`). */
  oauthRevokedTokens: number
  /** Started external sign-ins older than a day (`auth.oauth_states`). */
  oauthStates: number
  /** MFA challenges older than a day (`auth.mfa_challenges`). */
  mfaChallenges: number
}

/**
 * Deletes what can never be used again: one-time tokens past `otpExpiresIn`, PKCE flow states
 * older than a day, sessions past `not_after` (their refresh tokens cascade), revoked refresh
 * tokens of live sessions older than a day (the reuse grace is long over; they stay long enough to
 * detect a late replay), rate-limit windows older than a day, ended windows of API-key budgets,
 * and audit entries older than
 * `auditRetention` when set. Idempotent; safe to run on any instance at any time.
 */
export async function cleanup(
  db: Queryable,
  options: Pick<ResolvedAuthOptions, 'otpExpiresIn' | 'auditRetention'>,
): Promise<CleanupResult> {
  const count = async (text: string, values: unknown[] = []) => (await db.query(text, values)).rowCount ?? 0
  return {
    oneTimeTokens: await count(
      'delete from auth.one_time_tokens where created_at < now() - make_interval(secs => $1)',
      [options.otpExpiresIn],
    ),
    flowStates: await count("delete from auth.flow_state where created_at < now() - interval '1 day'"),
    sessions: await count('delete from auth.sessions where not_after is not null and not_after < now()'),
    refreshTokens: await count(
      "delete from auth.refresh_tokens where revoked and updated_at < now() - interval '1 day' and id not in (select max(id) from auth.refresh_tokens group by session_id)",
    ),
    rateLimits: await count("delete from auth.rate_limits where window_start < now() - interval '1 day'"),
    apiUsage: await count("delete from auth.api_usage where window_end < now() - interval '1 minute'"),
    oauthRevokedTokens: await count('delete from auth.oauth_revoked_tokens where expires_at < now()'),
    oauthStates: await count("delete from auth.oauth_states where created_at < now() - interval '1 day'"),
    mfaChallenges: await count("delete from auth.mfa_challenges where created_at < now() - interval '1 day'"),
    auditLogEntries:
      options.auditRetention > 0
        ? await count(
            'delete from auth.audit_log_entries where created_at < now() - make_interval(secs => $1)',
            [options.auditRetention],
          )
        : 0,
  }
}

/** Name of the cleanup task in `auth.tasks`. */
export const AUTH_CLEANUP_TASK = 'auth:cleanup'

/**
 * `auth.tasks`: the jobs task that runs {@link cleanup}. Register it with `createJobs({ tasks:
 * [...auth.tasks] })` and schedule it, e.g. `jobs.schedules.create({ name: 'auth-cleanup', task:
 * 'auth:cleanup', cron: '17 * * * *' })`.
 */
export function createCleanupTask(
  db: Queryable,
  options: Pick<ResolvedAuthOptions, 'otpExpiresIn' | 'auditRetention'>,
) {
  return defineTask({
    name: AUTH_CLEANUP_TASK,
    schema: z.object({}).loose(),
    maxAttempts: 3,
    async run(_payload, ctx) {
      const removed = await cleanup(db, options)
      ctx.logger.info(`auth: cleanup removed ${JSON.stringify(removed)}`)
    },
  })
}
