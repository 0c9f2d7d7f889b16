import { createRealtime, type Realtime } from '@groundwork/realtime'
import { intFlag, positional } from '../args'
import { defineGroup } from '../command'
import { type CommandContext, UsageError } from '../context'

const services = new WeakMap<CommandContext, Realtime>()

/** The realtime service on the command's database: only its `api` is used (nothing is started). */
function realtimeService(context: CommandContext): Realtime {
  let realtime = services.get(context)
  if (!realtime) {
    realtime = createRealtime({
      db: context.database(),
      // The CLI serves no HTTP: nobody is ever authenticated.
      authenticate: async () => {
        throw new Error('the CLI does not authenticate requests')
      },
    })
    services.set(context, realtime)
  }
  return realtime
}

const COLUMNS = ['schema', 'table', 'primaryKey', 'enabledAt']

/** `groundwork realtime enable|disable|list|prune`. */
export const realtimeGroup = defineGroup({
  name: 'realtime',
  summary: 'Publish tables to realtime change streams',
  commands: [
    {
      name: 'list',
      summary: 'List the tables whose changes are published',
      async run(context) {
        context.table(
          (await realtimeService(context).api.list()) as unknown as Record<string, unknown>[],
          COLUMNS,
        )
      },
    },
    {
      name: 'enable',
      summary: "Publish a table's changes (installs the capture triggers)",
      usage: '<schema.table>',
      async run(context, args) {
        const table = await realtimeService(context).api.enable(positional(args, 'schema.table'))
        context.result(
          table,
          `Publishing ${table.schema}.${table.table} (primary key: ${table.primaryKey.join(', ')}).`,
        )
      },
    },
    {
      name: 'disable',
      summary: "Stop publishing a table's changes",
      usage: '<schema.table>',
      async run(context, args) {
        const name = positional(args, 'schema.table')
        await realtimeService(context).api.disable(name)
        context.result({ disabled: name }, `No longer publishing ${name}.`)
      },
    },
    {
      name: 'prune',
      summary: 'Delete logged changes and messages older than the retention',
      usage: '[--older-than-hours 24]',
      options: { 'older-than-hours': { type: 'string' } },
      async run(context, args) {
        const hours = intFlag(args.values['older-than-hours'], 'older-than-hours')
        if (hours !== undefined && hours <= 0) throw new UsageError('--older-than-hours must be positive')
        const result = await realtimeService(context).api.prune(
          hours === undefined ? {} : { olderThanMs: hours * 3600 * 1000 },
        )
        context.result(result, `Deleted ${result.deleted} change(s).`)
      },
    },
  ],
})
