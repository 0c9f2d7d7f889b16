import { type AuthClientOptions, createAuthClient, type GroundworkAuthClient } from './auth'
import { type ConnectionOptions, createConnection, type GroundworkConnection } from './connection'
import { createKeysClient, type KeysClient } from './keys'
import { createOAuthClient, type GroundworkOAuthClient } from './oauth'
import { createPushClient, type PushClient } from './push'
import { createRealtime, type RealtimeClient, type RealtimeOptions } from './realtime/index'
import {
  createRestClient,
  type DefaultSchemaNameOf,
  type GroundworkRestClient,
  type SchemaNameOf,
} from './rest'
import { createStorageClient, type GroundworkStorageClient } from './storage'

/** Options of {@link createClient}. */
export interface ClientOptions<SchemaName extends string = string> extends ConnectionOptions {
  /** Options of `@supabase/auth-js` (`persistSession`, `autoRefreshToken`, `storage`, `flowType`…). */
  auth?: AuthClientOptions
  /** The schema `from()` and `rpc()` query. @default 'public' */
  db?: { schema?: SchemaName; timeout?: number }
  realtime?: RealtimeOptions
}

/** What {@link createClient} returns: every module on one connection. */
export interface GroundworkClient<
  // biome-ignore lint/suspicious/noExplicitAny: supabase-js's default: untyped queries until a `Database` is given
  Database = any,
  SchemaName extends SchemaNameOf<Database> = DefaultSchemaNameOf<Database>,
> {
  readonly connection: GroundworkConnection
  /** `@supabase/auth-js` on `/auth/v1`; its session is what every other module sends. */
  readonly auth: GroundworkAuthClient
  /** `@supabase/postgrest-js` on `/rest/v1`. */
  readonly rest: GroundworkRestClient<Database, SchemaName>
  /** A table or view, as `supabase.from()`. */
  from: GroundworkRestClient<Database, SchemaName>['from']
  /** A function through `/rpc`, as `supabase.rpc()`. */
  rpc: GroundworkRestClient<Database, SchemaName>['rpc']
  /** Another exposed schema, as `supabase.schema()`. */
  schema: GroundworkRestClient<Database, SchemaName>['schema']
  /** `@supabase/storage-js` on `/storage/v1`. */
  readonly storage: GroundworkStorageClient
  /** Changes, broadcast and presence over SSE on `/realtime/v1`. */
  readonly realtime: RealtimeClient
  /** The signed-in user's push devices on `/push/v1`. */
  readonly push: PushClient
  /** The signed-in user's API keys on `/auth/v1/user/api-keys`. */
  readonly keys: KeysClient
  /** OAuth consent (for the host's consent page) and the signed-in user's grants, on `/auth/v1`. */
  readonly oauth: GroundworkOAuthClient
}

/**
 * Creates a client with every module, as supabase-js's `createClient`. Modules are created on
 * first use; for the smallest bundle import only the modules you use from their entries
 * (`@groundwork/client/rest`, `/auth`, …) on a `createConnection()` instead.
 *
 * @example
 * ```ts
 * import { createClient } from '@groundwork/client'
 * import type { Database } from './database.types' // groundwork gen types
 *
 * const client = createClient<Database>('http://localhost:3000', publishableKey)
 * await client.auth.signInWithPassword({ email, password })
 * const { data } = await client.from('todos').select('id, title').eq('done', false)
 * client.realtime.subscribe({ table: 'todos' }, { onChange: (change) => console.log(change) })
 * ```
 */
export function createClient<
  // biome-ignore lint/suspicious/noExplicitAny: supabase-js's default: untyped queries until a `Database` is given
  Database = any,
  SchemaName extends SchemaNameOf<Database> = DefaultSchemaNameOf<Database>,
>(url: string, key: string, options: ClientOptions<SchemaName> = {}): GroundworkClient<Database, SchemaName> {
  const { auth: authOptions, db, realtime: realtimeOptions, ...connectionOptions } = options
  const connection = createConnection(url, key, connectionOptions)
  // Auth first, eagerly: it is the token source of everything else (unless `accessToken` is given).
  const auth = connectionOptions.accessToken
    ? createAuthClient(
        createConnection(url, key, { ...connectionOptions, accessToken: undefined }),
        authOptions,
      )
    : createAuthClient(connection, authOptions)
  const rest = createRestClient<Database, SchemaName>(connection, {
    ...(db?.schema !== undefined ? { schema: db.schema } : {}),
    ...(db?.timeout !== undefined ? { timeout: db.timeout } : {}),
  })
  let storage: GroundworkStorageClient | undefined
  let realtime: RealtimeClient | undefined
  let push: PushClient | undefined
  let keys: KeysClient | undefined
  let oauth: GroundworkOAuthClient | undefined
  return {
    connection,
    auth,
    rest,
    // Bound methods keep postgrest-js's generic signatures (indexed-access types of the client).
    from: rest.from.bind(rest),
    rpc: rest.rpc.bind(rest),
    schema: rest.schema.bind(rest),
    get storage() {
      storage ??= createStorageClient(connection)
      return storage
    },
    get realtime() {
      realtime ??= createRealtime(connection, realtimeOptions)
      return realtime
    },
    get push() {
      push ??= createPushClient(connection)
      return push
    },
    get keys() {
      keys ??= createKeysClient(connection)
      return keys
    },
    get oauth() {
      oauth ??= createOAuthClient(connection)
      return oauth
    },
  }
}
