import type { Authenticate, GroundworkService, MigrationSet, Principal, Transaction } from '@groundwork/core'
import { parseOptions } from '@groundwork/core/kit'
import type { RestResult } from './context'
import { authenticationError, toRestError } from './errors'
import { StatementNames } from './execution/statement-names'
import { createRegistry } from './extensions/registry'
import { cachedAuthenticate } from './http/auth-cache'
import { anonymousPrincipal, createHandler, errorResult, isAnonymous } from './http/handler'
import { type PipelineDeps, runPipeline } from './http/pipeline'
import { migrations } from './migrations'
import { openApiDocument } from './openapi/document'
import { type ResolvedRestOptions, type RestOptions, restOptionsSchema } from './options'
import { executeRead } from './read/execute-read'
import { executeRpc } from './rpc/index'
import { createSchemaCacheStore } from './schema-cache/store'
import type { SchemaCache } from './schema-cache/types'
import { executeWrite } from './write/index'

/** A request for {@link RestApi.query}, as the HTTP handler would receive it (mount-relative). */
export interface ApiQueryInput {
  method: string
  /** Mount-relative path, e.g. `/todos` or `/rpc/add`. */
  path: string
  /** Query string (`'select=*&id=eq.1'`, with or without `?`) or parameters. */
  query?: string | URLSearchParams | Record<string, string>
  headers?: HeadersInit
  /** A JSON-serialisable value (sent as JSON) or raw text. */
  body?: unknown
}

/** Options for {@link RestApi.query}. */
export interface ApiQueryOptions {
  /** Run inside this caller's transaction (a savepoint scopes the role and claims). */
  transaction?: Transaction
  /** Who the query runs as; default: `authenticate` applied to `headers`, else the anon role. */
  principal?: Principal
}

/** What {@link RestApi.query} returns. */
export interface ApiQueryResult {
  status: number
  headers: Record<string, string>
  /** The body text (JSON/CSV), bytes for a binary media type (vector tiles), or `null`. */
  body: string | Uint8Array | null
  /** The body parsed when it is JSON. */
  data: unknown
}

/** The programmatic surface: the same pipeline as the handler, in-process. */
export interface RestApi {
  /**
   * Runs a PostgREST request in-process, optionally inside your own transaction — which
   * PostgREST itself cannot do.
   *
   * @example
   * ```ts
   * await db.transaction(async (tx) => {
   *   await tx.query('insert into audit …')
   *   const { data } = await rest.api.query(
   *     { method: 'GET', path: '/todos', query: 'select=id,title&done=is.false' },
   *     { transaction: tx, principal },
   *   )
   * })
   * ```
   */
  query(input: ApiQueryInput, options?: ApiQueryOptions): Promise<ApiQueryResult>
  /** Reloads the schema cache now (as `NOTIFY pgrst, 'reload schema'` does). */
  reloadSchema(): Promise<void>
}

/** What {@link createRest} returns: core's service shape, plus the schema cache. */
export interface Rest extends GroundworkService<RestApi> {
  readonly name: 'rest'
  /** `(Request) => Promise<Response>`; mount it at `/rest/v1` with `toNodeHandler`. */
  readonly handler: (request: Request) => Promise<Response>
  /** The schema-reload trigger (`NOTIFY pgrst` on DDL). */
  readonly migrations: MigrationSet
  /** None: REST runs no background jobs. */
  readonly tasks: readonly []
  /** The current schema cache (loaded on first use). */
  schemaCache(): Promise<SchemaCache>
  /** Loads the schema cache and starts listening for schema changes (else done on first request). */
  start(): Promise<void>
  /** Stops listening for schema changes. Does not close `db`. */
  close(): Promise<void>
}

/**
 * Creates the REST service: every table, view and function of the exposed schemas becomes a
 * resource, with PostgREST's URL grammar, headers and error format, and Postgres RLS deciding
 * access (each request is one `db.withClaims` transaction).
 *
 * @example
 * ```ts
 * const rest = createRest({ db, authenticate: createJwtAuthenticator({ secret }) })
 * app.use('/rest/v1', toNodeHandler(rest.handler))
 * ```
 * @see https://docs.postgrest.org/en/v14/references/api.html
 */
export function createRest(options: RestOptions): Rest {
  const resolved: ResolvedRestOptions = parseOptions(restOptionsSchema, options, 'createRest')
  const anonRole = resolved.anonRole ?? resolved.db.roles.anon
  const store = createSchemaCacheStore({
    db: resolved.db,
    schemas: resolved.schemas,
    debounce: resolved.reloadDebounce,
    listen: resolved.listen,
    logger: resolved.db.logger,
  })
  const deps: PipelineDeps = {
    options: resolved,
    statements: new StatementNames(),
    cache: () => store.get(),
    executeRead,
    executeWrite,
    executeRpc,
    openapi: openApiDocument,
    extensions: createRegistry(resolved.extensions),
  }
  const authenticate: Authenticate = resolved.authenticate
    ? cachedAuthenticate(resolved.authenticate, resolved.jwtCacheMaxLifetime)
    : async () => anonymousPrincipal(anonRole)

  const api: RestApi = {
    async query(input, queryOptions = {}) {
      const url = new URL(input.path.startsWith('/') ? input.path : `/${input.path}`, 'http://localhost')
      if (input.query !== undefined) {
        url.search =
          typeof input.query === 'string'
            ? input.query.replace(/^\?/, '')
            : new URLSearchParams(input.query as Record<string, string>).toString()
      }
      const headers = new Headers(input.headers)
      let body = ''
      if (input.body !== undefined && input.body !== null) {
        body = typeof input.body === 'string' ? input.body : JSON.stringify(input.body)
        if (!headers.has('content-type')) headers.set('content-type', 'application/json')
      }
      const method = input.method.toUpperCase()
      let result: RestResult
      let anonymous = true
      try {
        const principal =
          queryOptions.principal ??
          (await authenticate(new Request(url, { method: 'GET', headers })).catch((error: unknown) => {
            throw authenticationError(error, resolved.onError)
          }))
        anonymous = isAnonymous(principal, resolved)
        result = await runPipeline(deps, { method, url, headers, body }, principal, queryOptions.transaction)
      } catch (error) {
        result = errorResult(toRestError(deps.extensions.mapError(error), anonymous, resolved.onError))
      }
      let data: unknown = null
      const type = result.headers['Content-Type'] ?? ''
      if (typeof result.body === 'string' && /json/.test(type)) {
        try {
          data = JSON.parse(result.body)
        } catch {
          data = result.body
        }
      } else data = result.body
      return { status: result.status, headers: result.headers, body: result.body, data }
    },
    async reloadSchema() {
      await store.reload()
    },
  }

  return {
    name: 'rest',
    handler: createHandler(deps, authenticate),
    api,
    migrations,
    tasks: [],
    schemaCache: () => store.get(),
    async start() {
      await store.get()
    },
    close: () => store.close(),
  }
}
