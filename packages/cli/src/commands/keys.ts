import {
  type ApiKey,
  type ApiKeyScope,
  type ApiKeyType,
  type ApiRateLimit,
  type App,
  createKeyAdmin,
  type KeyAdmin,
} from '@groundwork/auth'
import { positional, stringFlag } from '../args'
import { defineGroup } from '../command'
import { type CommandContext, UsageError } from '../context'

const admins = new WeakMap<CommandContext, KeyAdmin>()

/** The apps and keys API on the command's database (no JWT secret needed: nothing is signed). */
function keyAdmin(context: CommandContext): KeyAdmin {
  let admin = admins.get(context)
  if (!admin) {
    admin = createKeyAdmin({ db: context.database() })
    admins.set(context, admin)
  }
  return admin
}

/** `--rate-limit 1000/60`: 1,000 requests per 60 s; `none` clears it. */
function rateLimitFlag(value: string | boolean | undefined): ApiRateLimit | null | undefined {
  const text = stringFlag(value)
  if (text === undefined) return undefined
  if (text === 'none') return null
  const match = /^(\d{1,10})\/(\d{1,8})$/.exec(text)
  if (!match) throw new UsageError('--rate-limit must be <requests>/<seconds>, e.g. 1000/60 (or none)')
  return { requests: Number(match[1]), window_seconds: Number(match[2]) }
}

/** A comma-separated list flag (`--scopes read,write`). */
function listFlag(value: string | boolean | undefined): string[] | undefined {
  const text = stringFlag(value)
  if (text === undefined) return undefined
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
}

const APP_COLUMNS = ['id', 'name', 'owner_id', 'rate_limit', 'created_at']
const KEY_COLUMNS = [
  'id',
  'prefix',
  'name',
  'type',
  'app_id',
  'user_id',
  'scopes',
  'last_used_at',
  'revoked_at',
]

/** A rate limit as `1000/60s`, or `-`. */
const limitText = (limit: ApiRateLimit | null) => (limit ? `${limit.requests}/${limit.window_seconds}s` : '-')

/** Rows for a table: rate limits and scopes in short form. */
function appRow(app: App): Record<string, unknown> {
  return { ...app, rate_limit: limitText(app.rate_limit) }
}
function keyRow(key: ApiKey): Record<string, unknown> {
  return { ...key, scopes: key.scopes?.join(',') ?? '(any)' }
}

/** `groundwork apps create|list|show|delete`. */
export const appsGroup = defineGroup({
  name: 'apps',
  summary: 'Register apps: owners and request budgets shared by their API keys',
  commands: [
    {
      name: 'create',
      summary: 'Register an app',
      usage: '<name> [--description text] [--owner <user-id>] [--rate-limit 1000/60]',
      options: {
        description: { type: 'string' },
        owner: { type: 'string' },
        'rate-limit': { type: 'string' },
      },
      async run(context, args) {
        const rateLimit = rateLimitFlag(args.values['rate-limit'])
        const app = await keyAdmin(context).apps.create({
          name: positional(args, 'name'),
          description: stringFlag(args.values.description) ?? null,
          owner_id: stringFlag(args.values.owner) ?? null,
          rate_limit: rateLimit ?? null,
        })
        context.result(app, `App ${app.name} created: ${app.id}`)
      },
    },
    {
      name: 'list',
      summary: 'List apps, newest first',
      usage: '[--owner <user-id>]',
      options: { owner: { type: 'string' } },
      async run(context, args) {
        const owner = stringFlag(args.values.owner)
        const apps = await keyAdmin(context).apps.list(owner ? { owner_id: owner } : {})
        if (context.json) context.result(apps)
        else context.table(apps.map(appRow), APP_COLUMNS)
      },
    },
    {
      name: 'show',
      summary: 'Show an app and its keys',
      usage: '<app-id>',
      async run(context, args) {
        const admin = keyAdmin(context)
        const app = await admin.apps.get(positional(args, 'app-id'))
        const keys = await admin.keys.list({ app_id: app.id })
        if (context.json) {
          context.result({ ...app, keys })
          return
        }
        context.result({ ...app, rate_limit: limitText(app.rate_limit) })
        context.info('Keys:')
        context.table(keys.map(keyRow), KEY_COLUMNS)
      },
    },
    {
      name: 'delete',
      summary: 'Delete an app and every key of it (they stop working at once)',
      usage: '<app-id>',
      async run(context, args) {
        const id = positional(args, 'app-id')
        await keyAdmin(context).apps.delete(id)
        context.result({ deleted: id }, `App ${id} and its keys deleted.`)
      },
    },
  ],
})

/** `groundwork keys create|list|revoke`. */
export const keysGroup = defineGroup({
  name: 'keys',
  summary: 'Create, list and revoke API keys',
  commands: [
    {
      name: 'create',
      summary: 'Create an API key (printed once: store it now)',
      usage:
        '<name> --type publishable|secret|app [--app <app-id>] [--user <user-id>] [--scopes read,write,admin] ' +
        '[--tables public.todos,…] [--expires-at 2030-01-01T00:00:00Z] [--rate-limit 100/60]',
      options: {
        type: { type: 'string' },
        app: { type: 'string' },
        user: { type: 'string' },
        scopes: { type: 'string' },
        tables: { type: 'string' },
        'expires-at': { type: 'string' },
        'rate-limit': { type: 'string' },
      },
      async run(context, args) {
        const type = stringFlag(args.values.type)
        if (!type) throw new UsageError('--type is required: publishable, secret or app')
        const created = await keyAdmin(context).keys.create({
          name: positional(args, 'name'),
          type: type as ApiKeyType,
          app_id: stringFlag(args.values.app) ?? null,
          user_id: stringFlag(args.values.user) ?? null,
          scopes: (listFlag(args.values.scopes) as ApiKeyScope[] | undefined) ?? null,
          allowed_tables: listFlag(args.values.tables) ?? null,
          expires_at: stringFlag(args.values['expires-at']) ?? null,
          rate_limit: rateLimitFlag(args.values['rate-limit']) ?? null,
        })
        if (context.json) {
          context.result(created)
          return
        }
        context.info(`Created ${created.type} key ${created.name} (${created.id}).`)
        context.info('This is the only time the key is shown; store it now:')
        context.result(created.key, created.key)
      },
    },
    {
      name: 'list',
      summary: 'List API keys, newest first (revoked ones included)',
      usage: '[--app <app-id>] [--user <user-id>] [--type publishable|secret|app]',
      options: { app: { type: 'string' }, user: { type: 'string' }, type: { type: 'string' } },
      async run(context, args) {
        const filter: { app_id?: string; user_id?: string; type?: ApiKeyType } = {}
        const app = stringFlag(args.values.app)
        const user = stringFlag(args.values.user)
        const type = stringFlag(args.values.type)
        if (app) filter.app_id = app
        if (user) filter.user_id = user
        if (type) filter.type = type as ApiKeyType
        const keys = await keyAdmin(context).keys.list(filter)
        if (context.json) context.result(keys)
        else context.table(keys.map(keyRow), KEY_COLUMNS)
      },
    },
    {
      name: 'revoke',
      summary: 'Revoke an API key: refused on its next request, on every instance',
      usage: '<key-id>',
      async run(context, args) {
        const key = await keyAdmin(context).keys.revoke(positional(args, 'key-id'))
        context.result(key, `Key ${key.prefix}… (${key.name}) revoked.`)
      },
    },
  ],
})
