import { type AnyTaskDefinition, type Database, defineTask } from '@groundwork/core'
import { z } from 'zod'

/** The task that deletes what the provider can never use again. */
export const OAUTH_CLEANUP_TASK = 'oauth:cleanup'

/** Rows removed by {@link cleanupOAuth}. */
export interface OAuthCleanupResult {
  authorizations: number
  usedAssertions: number
  rateLimits: number
}

/**
 * Deletes authorization requests a day past their expiry (redeemed ones are kept that long so a
 * late code replay still ends its grant), used client-assertion ids past their expiry, and
 * rate-limit windows older than a day. Idempotent; any instance, any time.
 */
export async function cleanupOAuth(db: Database): Promise<OAuthCleanupResult> {
  const count = async (text: string) => (await db.query(text)).rowCount ?? 0
  return {
    authorizations: await count(
      "delete from oauth.authorizations where expires_at < now() - interval '1 day'",
    ),
    usedAssertions: await count('delete from oauth.used_assertions where expires_at < now()'),
    rateLimits: await count("delete from oauth.rate_limits where window_start < now() - interval '1 day'"),
  }
}

/** `oauth:cleanup` for `@groundwork/jobs` (schedule it, e.g. hourly). */
export function createCleanupTask(db: Database): AnyTaskDefinition {
  return defineTask({
    name: OAUTH_CLEANUP_TASK,
    schema: z.object({}).optional(),
    async run(_payload, ctx) {
      const result = await cleanupOAuth(db)
      ctx.logger.info(`groundwork oauth: cleaned ${JSON.stringify(result)}`)
    },
  })
}
