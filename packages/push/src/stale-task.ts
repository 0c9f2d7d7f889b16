import { type AnyTaskDefinition, defineTask } from '@groundwork/core'
import { z } from 'zod'

/** The task that disables devices not seen for `staleAfter`. */
export const DISABLE_STALE_TASK = 'push:disable-stale'

/**
 * A daily schedule for {@link DISABLE_STALE_TASK}, for `jobs.api.schedules.upsert(…)` (jobs owns
 * schedules; push only contributes the task).
 */
export const STALE_DEVICES_SCHEDULE = {
  name: DISABLE_STALE_TASK,
  task: DISABLE_STALE_TASK,
  cron: '41 4 * * *',
  timeZone: 'UTC',
} as const

/** `push:disable-stale`: runs `disableStale` (payload `{ olderThanMs? }` overrides `staleAfter`). */
export function createStaleTask(
  disableStale: (options: { olderThanMs?: number }) => Promise<number>,
): AnyTaskDefinition {
  return defineTask({
    name: DISABLE_STALE_TASK,
    schema: z.object({ olderThanMs: z.number().int().positive().optional() }),
    logPayload: true,
    async run({ olderThanMs }, ctx) {
      const disabled = await disableStale(olderThanMs === undefined ? {} : { olderThanMs })
      if (disabled > 0) ctx.logger.info(`groundwork push: disabled ${disabled} stale device(s)`)
    },
  })
}
