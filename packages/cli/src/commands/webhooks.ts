import { createWebhooks, type Webhooks } from '@groundwork/webhooks'
import { intFlag, jsonFlag, positional, stringFlag } from '../args'
import { defineGroup } from '../command'
import { type CommandContext, UsageError } from '../context'
import { listEnv } from '../env-list'

const services = new WeakMap<CommandContext, Webhooks>()

/**
 * The webhooks service on the command's database, configured as in the demo:
 * `WEBHOOKS_ALLOW_HOSTS` (comma-separated) exempts hosts from the SSRF guard, and
 * `GROUNDWORK_ENCRYPTION_KEYS` (comma-separated) seals the signing secrets this command creates.
 * Deliveries are sent by the app's jobs runner.
 */
function webhooksService(context: CommandContext): Webhooks {
  let webhooks = services.get(context)
  if (!webhooks) {
    webhooks = createWebhooks({
      db: context.database(),
      allowHosts: listEnv(context.io.env.WEBHOOKS_ALLOW_HOSTS),
      encryptionKeys: listEnv(context.io.env.GROUNDWORK_ENCRYPTION_KEYS),
    })
    services.set(context, webhooks)
  }
  return webhooks
}

const ENDPOINT_COLUMNS = ['id', 'table', 'events', 'url', 'enabled', 'filter']
const DELIVERY_COLUMNS = ['id', 'eventId', 'eventType', 'status', 'attempts', 'responseStatus', 'createdAt']

/** `groundwork webhooks list|create|deliveries|redeliver`. */
export const webhooksGroup = defineGroup({
  name: 'webhooks',
  summary: 'Manage webhook endpoints and inspect their deliveries',
  commands: [
    {
      name: 'list',
      summary: 'List webhook endpoints (newest first)',
      usage: '[--table schema.table] [--limit 100]',
      options: { table: { type: 'string' }, limit: { type: 'string' } },
      async run(context, { values }) {
        const endpoints = await webhooksService(context).api.list({
          table: stringFlag(values.table),
          limit: intFlag(values.limit, 'limit'),
        })
        if (context.json) return context.result(endpoints)
        context.table(
          endpoints.map((e) => ({ ...e, events: e.events.join(',') })) as unknown as Record<
            string,
            unknown
          >[],
          ENDPOINT_COLUMNS,
        )
        context.info(`${endpoints.length} endpoint(s)`)
      },
    },
    {
      name: 'create',
      summary: 'Create an endpoint; prints its signing secret once',
      usage:
        '--url <url> --table <schema.table> [--events INSERT,UPDATE,DELETE] [--filter "col=eq.v"] [--headers JSON] [--ordered] [--max-concurrency N] [--secret-type v1|v1a]',
      options: {
        url: { type: 'string' },
        table: { type: 'string' },
        events: { type: 'string' },
        filter: { type: 'string' },
        headers: { type: 'string' },
        ordered: { type: 'boolean' },
        'max-concurrency': { type: 'string' },
        'secret-type': { type: 'string' },
        disabled: { type: 'boolean' },
      },
      async run(context, { values }) {
        const url = stringFlag(values.url)
        const table = stringFlag(values.table)
        if (!url || !table) throw new UsageError('--url <url> and --table <schema.table> are required')
        const events = stringFlag(values.events)
        const secretType = stringFlag(values['secret-type'])
        if (secretType !== undefined && secretType !== 'v1' && secretType !== 'v1a') {
          throw new UsageError('--secret-type is v1 (HMAC-SHA256) or v1a (ed25519)')
        }
        const created = await webhooksService(context).api.create(
          {
            url,
            table,
            events: events?.split(',').map((e) => e.trim().toUpperCase()) as never,
            filter: stringFlag(values.filter),
            headers: jsonFlag(values.headers, 'headers') as Record<string, string> | undefined,
            ordered: values.ordered === true,
            enabled: values.disabled !== true,
            maxConcurrency: intFlag(values['max-concurrency'], 'max-concurrency'),
            secretType,
          },
          { actor: 'cli' },
        )
        context.result(
          created,
          `Endpoint ${created.id} watches ${created.table} (${created.events.join(', ')}) → ${created.url}\n` +
            `Signing secret (shown once): ${created.secret.secret}` +
            (created.secret.publicKey ? `\nPublic key: ${created.secret.publicKey}` : ''),
        )
      },
    },
    {
      name: 'deliveries',
      summary: "An endpoint's deliveries, newest first",
      usage: '<endpoint-id> [--status pending|sending|delivered|failed] [--limit 50]',
      options: { status: { type: 'string' }, limit: { type: 'string' } },
      async run(context, args) {
        const id = positional(args, 'endpoint-id')
        const deliveries = await webhooksService(context).api.deliveries(id, {
          status: stringFlag(args.values.status) as never,
          limit: intFlag(args.values.limit, 'limit'),
        })
        if (!deliveries) throw new UsageError(`No webhook endpoint "${id}"`)
        if (context.json) return context.result(deliveries)
        context.table(deliveries as unknown as Record<string, unknown>[], DELIVERY_COLUMNS)
        context.info(`${deliveries.length} deliver${deliveries.length === 1 ? 'y' : 'ies'}`)
      },
    },
    {
      name: 'redeliver',
      summary: 'Queue a delivery again (same webhook-id and body)',
      usage: '<endpoint-id> <delivery-id>',
      options: {},
      async run(context, args) {
        const [id, deliveryId] = args.positionals
        if (!id || !deliveryId)
          throw new UsageError('Usage: groundwork webhooks redeliver <endpoint-id> <delivery-id>')
        const delivery = await webhooksService(context).api.redeliver(id, deliveryId, { actor: 'cli' })
        if (!delivery) throw new UsageError(`No delivery "${deliveryId}" of endpoint "${id}"`)
        context.result(
          delivery,
          `Delivery ${delivery.id} queued (message ${delivery.eventId}); the app's jobs runner sends it.`,
        )
      },
    },
  ],
})
