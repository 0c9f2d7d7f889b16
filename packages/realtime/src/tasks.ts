import { z } from 'zod'
import type { RealtimeApi } from './api'

/**
 * The retention task for `@groundwork/jobs`: structurally a core `TaskDefinition` (runnable with
 * just its payload), so `createJobs({ tasks: [...realtime.tasks] })` runs it on a schedule.
 */
export interface RealtimePruneTask {
  readonly name: 'realtime:prune'
  readonly schema: z.ZodType<{ olderThanMs?: number | undefined }>
  readonly run: (payload: { olderThanMs?: number | undefined }) => Promise<void>
}

/** `realtime:prune`: deletes changes and messages past retention through `api.prune`. */
export function createPruneTask(api: RealtimeApi): RealtimePruneTask {
  return {
    name: 'realtime:prune',
    schema: z.object({ olderThanMs: z.number().int().positive().optional() }),
    async run(payload) {
      await api.prune(payload.olderThanMs === undefined ? {} : { olderThanMs: payload.olderThanMs })
    },
  }
}
