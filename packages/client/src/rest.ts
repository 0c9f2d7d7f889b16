/**
 * `@groundwork/client/rest`: `@supabase/postgrest-js` pointed at `/rest/v1` (Groundwork's REST
 * speaks PostgREST's grammar), sending the connection's key and the signed-in user's token. With
 * a `Database` type from `groundwork gen types`, every query is typed.
 *
 * @see https://supabase.com/docs/reference/javascript/select
 * @see https://docs.postgrest.org/en/v12/references/api.html
 */
import { PostgrestClient } from '@supabase/postgrest-js'
import type { GroundworkConnection } from './connection'

/** The schemas of a generated `Database` type (everything but supabase-js's `__InternalSupabase`). */
export type SchemaNameOf<Database> = string & keyof Omit<Database, '__InternalSupabase'>

/** `public` when the database has it, as supabase-js picks its default schema. */
export type DefaultSchemaNameOf<Database> = 'public' extends keyof Omit<Database, '__InternalSupabase'>
  ? 'public'
  : SchemaNameOf<Database>

/** The PostgREST version a generated type declares (`__InternalSupabase`), as postgrest-js reads it. */
export type ServerOptionsOf<Database> = Database extends {
  __InternalSupabase: infer Options extends { PostgrestVersion?: string }
}
  ? Options
  : // biome-ignore lint/complexity/noBannedTypes: postgrest-js's own default for "no declared version"
    {}

/** The typed PostgREST client of {@link createRestClient}. */
export type GroundworkRestClient<
  // biome-ignore lint/suspicious/noExplicitAny: supabase-js's default: untyped queries until a `Database` is given
  Database = any,
  SchemaName extends SchemaNameOf<Database> = DefaultSchemaNameOf<Database>,
> = PostgrestClient<Database, ServerOptionsOf<Database>, SchemaName>

/** Options of {@link createRestClient}. */
export interface RestClientOptions<SchemaName extends string = string> {
  /** The schema queried (`Accept-Profile` / `Content-Profile`). @default 'public' */
  schema?: SchemaName
  /** Abort requests after this many milliseconds. @default none */
  timeout?: number
}

/**
 * Creates the REST client.
 *
 * @example
 * ```ts
 * import type { Database } from './database.types' // groundwork gen types > database.types.ts
 * const rest = createRestClient<Database>(connection)
 * const { data, error } = await rest.from('todos').select('id, title, lists(title)').eq('done', false)
 * ```
 */
export function createRestClient<
  // biome-ignore lint/suspicious/noExplicitAny: supabase-js's default: untyped queries until a `Database` is given
  Database = any,
  SchemaName extends SchemaNameOf<Database> = DefaultSchemaNameOf<Database>,
>(
  connection: GroundworkConnection,
  options: RestClientOptions<SchemaName> = {},
): GroundworkRestClient<Database, SchemaName> {
  return new PostgrestClient<Database, ServerOptionsOf<Database>, SchemaName>(connection.serviceUrl('rest'), {
    headers: { ...connection.headers },
    ...(options.schema !== undefined ? { schema: options.schema } : {}),
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    fetch: connection.fetch,
  })
}
