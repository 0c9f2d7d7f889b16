import type { JobState } from '@groundwork/jobs'
import { intFlag, positional, stringFlag } from '../args'
import { defineGroup } from '../command'
import { UsageError } from '../context'
import { jobsService } from '../jobs-service'

const STATES = ['queued', 'running', 'scheduled', 'failed']
const JOB_COLUMNS = ['id', 'task', 'state', 'queue', 'attempts', 'maxAttempts', 'runAt', 'lastError']

/** `groundwork jobs list|retry|cancel|stats`. */
export const jobsGroup = defineGroup({
  name: 'jobs',
  summary: 'Inspect and act on background jobs',
  commands: [
    {
      name: 'list',
      summary: 'List jobs (newest first)',
      usage:
        '[--state queued|running|scheduled|failed] [--task name] [--queue name] [--limit 50] [--offset 0]',
      options: {
        state: { type: 'string' },
        task: { type: 'string' },
        queue: { type: 'string' },
        limit: { type: 'string' },
        offset: { type: 'string' },
      },
      async run(context, { values }) {
        const state = stringFlag(values.state)
        if (state !== undefined && !STATES.includes(state))
          throw new UsageError(`--state must be one of ${STATES.join(', ')}`)
        const page = await jobsService(context).api.listJobs({
          state: state as JobState | undefined,
          task: stringFlag(values.task),
          queue: stringFlag(values.queue),
          limit: intFlag(values.limit, 'limit'),
          offset: intFlag(values.offset, 'offset'),
        })
        if (context.json) return context.result(page)
        context.table(page.items as unknown as Record<string, unknown>[], JOB_COLUMNS)
        context.info(`${page.items.length} of ${page.total} job(s)`)
      },
    },
    {
      name: 'stats',
      summary: 'Count jobs per state and the age of the oldest queued job',
      async run(context) {
        context.result(await jobsService(context).api.stats())
      },
    },
    {
      name: 'retry',
      summary: 'Run a waiting or failed job now',
      usage: '<id>',
      async run(context, args) {
        const job = await jobsService(context).api.retry(positional(args, 'id'))
        context.result(job, `Job ${job.id} (${job.task}) will run now.`)
      },
    },
    {
      name: 'cancel',
      summary: 'Fail a job permanently so it never runs again',
      usage: '<id> [--reason text]',
      options: { reason: { type: 'string' } },
      async run(context, args) {
        const job = await jobsService(context).api.cancel(
          positional(args, 'id'),
          stringFlag(args.values.reason),
        )
        context.result(job, `Job ${job.id} (${job.task}) cancelled.`)
      },
    },
  ],
})
