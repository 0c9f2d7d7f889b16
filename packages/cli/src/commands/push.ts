import { createPush, type Push } from '@groundwork/push'
import { intFlag, jsonFlag, positional, stringFlag } from '../args'
import { defineGroup } from '../command'
import { type CommandContext, UsageError } from '../context'

const services = new WeakMap<CommandContext, Push>()

/**
 * The push service on the command's database, enqueue-only: no providers and no runner here. The
 * fan-out and delivery jobs it adds are run by the app's jobs runner (which has the providers).
 */
function pushService(context: CommandContext): Push {
  let push = services.get(context)
  if (!push) {
    push = createPush({ db: context.database() })
    services.set(context, push)
  }
  return push
}

const DEVICE_COLUMNS = ['id', 'provider', 'platform', 'environment', 'token', 'lastSeenAt', 'disabledReason']

/** `groundwork push send|devices`. */
export const pushGroup = defineGroup({
  name: 'push',
  summary: 'Send push notifications and inspect devices',
  commands: [
    {
      name: 'send',
      summary: "Queue a notification to a user's devices (delivered by the app's jobs runner)",
      usage:
        '--user <id> [--user <id>…] | --device <id> | --topic <name>  --title <text> --body <text> [--data JSON]',
      options: {
        user: { type: 'string', multiple: true },
        device: { type: 'string', multiple: true },
        topic: { type: 'string' },
        title: { type: 'string' },
        body: { type: 'string' },
        data: { type: 'string' },
      },
      async run(context, { values }) {
        const users = (values.user as unknown as string[] | undefined) ?? []
        const devices = (values.device as unknown as string[] | undefined) ?? []
        const topic = stringFlag(values.topic)
        if (users.length === 0 && devices.length === 0 && topic === undefined) {
          throw new UsageError('Name the recipients: --user <id>, --device <id> or --topic <name>')
        }
        const title = stringFlag(values.title)
        const body = stringFlag(values.body)
        if ((title === undefined) !== (body === undefined))
          throw new UsageError('--title and --body go together')
        const data = jsonFlag(values.data, 'data') as Record<string, string> | undefined
        const receipt = await pushService(context).api.send({
          to: { userIds: users, deviceIds: devices, ...(topic === undefined ? {} : { topic }) },
          ...(title !== undefined && body !== undefined ? { notification: { title, body } } : {}),
          ...(data === undefined ? {} : { data }),
        })
        context.result(
          receipt,
          `Notification ${receipt.id} queued (fan-out job ${receipt.jobId}); the app's jobs runner delivers it.`,
        )
      },
    },
    {
      name: 'devices',
      summary: "List a user's devices",
      usage: 'list --user <id> [--all] [--limit 100]',
      options: { user: { type: 'string' }, all: { type: 'boolean' }, limit: { type: 'string' } },
      async run(context, args) {
        const action = positional(args, 'list')
        if (action !== 'list')
          throw new UsageError(`Unknown command "push devices ${action}"; use "push devices list"`)
        const userId = stringFlag(args.values.user)
        if (!userId) throw new UsageError('--user <id> is required')
        const devices = await pushService(context).api.admin.listDevices({
          userId,
          includeDisabled: args.values.all === true,
          limit: intFlag(args.values.limit, 'limit'),
        })
        if (context.json) return context.result(devices)
        context.table(devices as unknown as Record<string, unknown>[], DEVICE_COLUMNS)
        context.info(`${devices.length} device(s)`)
      },
    },
  ],
})
