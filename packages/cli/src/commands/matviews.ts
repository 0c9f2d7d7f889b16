import { positional, stringFlag } from '../args'
import { defineGroup } from '../command'
import { jobsService } from '../jobs-service'

const COLUMNS = [
  'name',
  'status',
  'populated',
  'schedule',
  'timeZone',
  'concurrently',
  'lastFinishedAt',
  'lastDurationMs',
  'lastError',
]

/** `groundwork matviews list|register|refresh`. */
export const matviewsGroup = defineGroup({
  name: 'matviews',
  summary: 'Register and refresh materialized views',
  commands: [
    {
      name: 'list',
      summary: 'List registered materialized views and their last refresh',
      async run(context) {
        context.table(
          (await jobsService(context).api.matviews.list()) as unknown as Record<string, unknown>[],
          COLUMNS,
        )
      },
    },
    {
      name: 'register',
      summary: 'Register a materialized view, optionally refreshed on a schedule',
      usage: "<schema.view> [--schedule '0 * * * *'] [--tz UTC] [--concurrently]",
      options: { schedule: { type: 'string' }, tz: { type: 'string' }, concurrently: { type: 'boolean' } },
      async run(context, args) {
        const timeZone = stringFlag(args.values.tz)
        const matview = await jobsService(context).api.matviews.register(positional(args, 'schema.view'), {
          schedule: stringFlag(args.values.schedule) ?? null,
          ...(timeZone ? { timeZone } : {}),
          concurrently: args.values.concurrently === true,
        })
        context.result(
          matview,
          `Registered ${matview.name}${matview.schedule ? ` (refreshed on '${matview.schedule}' ${matview.timeZone})` : ''}.`,
        )
      },
    },
    {
      name: 'refresh',
      summary: 'Refresh a registered materialized view now',
      usage: '<schema.view> [--concurrently]',
      options: { concurrently: { type: 'boolean' } },
      async run(context, args) {
        const concurrently = args.values.concurrently === true ? { concurrently: true } : {}
        const result = await jobsService(context).api.matviews.refresh(
          positional(args, 'schema.view'),
          concurrently,
        )
        context.result(
          result,
          `Refreshed ${result.name}${result.concurrently ? ' concurrently' : ''} in ${result.durationMs} ms.`,
        )
      },
    },
  ],
})
