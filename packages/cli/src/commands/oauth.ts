import { randomBytes } from 'node:crypto'
import { createAuth } from '@groundwork/auth'
import { createOAuthProvider, type OAuthClient, type OAuthProvider } from '@groundwork/oauth-provider'
import { stringFlag } from '../args'
import { defineGroup } from '../command'
import { type CommandContext, UsageError } from '../context'

const providers = new WeakMap<CommandContext, OAuthProvider>()

/**
 * The OAuth provider on the command's database. Client administration signs nothing: without
 * `JWT_SECRET` a random one will do; the issuer (`OAUTH_ISSUER`) only matters for what is served.
 */
function provider(context: CommandContext): OAuthProvider {
  let oauth = providers.get(context)
  if (!oauth) {
    const db = context.database()
    const secret = context.io.env.JWT_SECRET ?? randomBytes(32).toString('hex')
    const auth = createAuth({ db, jwt: { secret }, siteUrl: 'http://localhost' })
    oauth = createOAuthProvider({
      db,
      auth,
      issuer: context.io.env.OAUTH_ISSUER ?? 'http://localhost/auth/v1',
    })
    providers.set(context, oauth)
  }
  return oauth
}

/** A comma-separated list flag. */
function listFlag(value: string | boolean | undefined): string[] | undefined {
  const text = stringFlag(value)
  return text === undefined
    ? undefined
    : text
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
}

const COLUMNS = [
  'client_id',
  'client_name',
  'client_type',
  'token_endpoint_auth_method',
  'grant_types',
  'app_id',
  'created_at',
]
const row = (client: OAuthClient) => ({ ...client, grant_types: client.grant_types.join(',') })

const USAGE =
  'Usage: groundwork oauth clients list | create <name> [options] | delete <client-id> | rotate-secret <client-id>'

/** The one argument after the action (`delete <client-id>`). */
function argument(rest: string[], name: string): string {
  if (rest.length !== 1 || !rest[0]) throw new UsageError(rest.length === 0 ? `Missing <${name}>` : USAGE)
  return rest[0]
}

/** `groundwork oauth clients list|create|delete|rotate-secret` (docs/oauth-provider.md). */
export const oauthGroup = defineGroup({
  name: 'oauth',
  summary: 'Clients of the OAuth 2.1 / OpenID Connect provider',
  commands: [
    {
      name: 'clients',
      summary: 'List, create (secret shown once), delete (grants end) or rotate the secret of OAuth clients',
      usage:
        'list | create <name> [--redirect-uri uri,uri] [--public] [--auth-method client_secret_basic|client_secret_post|private_key_jwt|none] [--grant-types authorization_code,refresh_token,client_credentials] [--scope "openid email"] [--app <app-id>] [--allowed-tables public.a,public.b] | delete <client-id> | rotate-secret <client-id>',
      options: {
        'redirect-uri': { type: 'string' },
        public: { type: 'boolean' },
        'auth-method': { type: 'string' },
        'grant-types': { type: 'string' },
        scope: { type: 'string' },
        app: { type: 'string' },
        'allowed-tables': { type: 'string' },
      },
      async run(context, { values, positionals }) {
        const [action, ...rest] = positionals
        const api = () => provider(context).api
        if (action === 'list' && rest.length === 0) {
          const { clients } = await api().clients.list({ perPage: 1000 })
          if (context.json) context.result(clients)
          else context.table(clients.map(row), COLUMNS)
          return
        }
        if (action === 'create') {
          const method = stringFlag(values['auth-method'])
          if (values.public && method && method !== 'none')
            throw new UsageError('--public clients use --auth-method none')
          const client = await api().clients.create(
            {
              client_name: argument(rest, 'name'),
              redirect_uris: listFlag(values['redirect-uri']) ?? [],
              grant_types: listFlag(values['grant-types']),
              scope: stringFlag(values.scope),
              token_endpoint_auth_method: values.public ? 'none' : method,
              app_id: stringFlag(values.app),
              allowed_tables: listFlag(values['allowed-tables']),
            },
            { actor: 'cli' },
          )
          context.result(
            client,
            client.client_secret
              ? `Client ${client.client_name} created: ${client.client_id}\nSecret (shown once): ${client.client_secret}`
              : `Public client ${client.client_name} created: ${client.client_id}`,
          )
          return
        }
        if (action === 'delete') {
          const id = argument(rest, 'client-id')
          await api().clients.delete(id, { actor: 'cli' })
          context.result({ deleted: id }, `Client ${id} deleted; its grants are revoked.`)
          return
        }
        if (action === 'rotate-secret') {
          const client = await api().clients.regenerateSecret(argument(rest, 'client-id'))
          context.result(client, `New secret for ${client.client_id} (shown once): ${client.client_secret}`)
          return
        }
        throw new UsageError(USAGE)
      },
    },
  ],
})
