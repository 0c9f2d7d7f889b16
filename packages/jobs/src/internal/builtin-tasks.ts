import type { Database } from '@groundwork/core'
import { defineTask } from '@groundwork/core'
import { z } from 'zod'
import { type Matviews, REFRESH_MATVIEW_TASK } from '../matviews'

/** The built-in task that deletes run history past the retention. */
export const PRUNE_RUNS_TASK = 'jobs:prune-runs'

/** The built-in schedule that runs {@link PRUNE_RUNS_TASK} daily. */
export const PRUNE_RUNS_SCHEDULE = {
  name: 'jobs:prune-runs',
  task: PRUNE_RUNS_TASK,
  cron: '17 3 * * *',
  timeZone: 'UTC',
}

/** Tasks every runner registers: history retention and scheduled matview refresh. */
export function builtinTasks(db: Database, matviews: Matviews, retentionMs: number) {
  return [
    defineTask({
      name: PRUNE_RUNS_TASK,
      schema: z.looseObject({}),
      maxAttempts: 3,
      async run(_, ctx) {
        const { rowCount } = await db.query(
          'delete from jobs.runs where finished_at < now() - make_interval(secs => $1::double precision / 1000)',
          [retentionMs],
        )
        ctx.logger.info(
          `groundwork jobs: pruned ${rowCount ?? 0} run(s) older than ${Math.round(retentionMs / 86_400_000)} day(s)`,
        )
      },
    }),
    defineTask({
      name: REFRESH_MATVIEW_TASK,
      schema: z.object({ name: z.string().min(1), concurrently: z.boolean().optional() }),
      maxAttempts: 3,
      async run({ name, concurrently }) {
        await matviews.refresh(name, concurrently === undefined ? {} : { concurrently })
      },
    }),
  ]
}
