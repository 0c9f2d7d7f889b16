import type { Authenticate, Database, OnError } from '@groundwork/core'
import {
  basePathOption,
  DEFAULT_MAX_JSON_DEPTH,
  databaseOption,
  functionOption,
  maxBodyBytesOption,
  optionsSchema,
} from '@groundwork/core/kit'
import { z } from 'zod'
import type { RestExtension } from './extensions/types'

/** How a request's transaction ends; `*-allow-override` lets clients pick with `Prefer: tx=`. */
export type TxEnd = 'commit' | 'rollback' | 'commit-allow-override' | 'rollback-allow-override'

/** CORS settings; `true` allows any origin (PostgREST's default behaviour). */
export interface CorsOptions {
  /** Allowed origins; `'*'` or a list. @default '*' */
  origins?: '*' | string[]
  /** Extra response headers exposed to browsers. @default [] */
  exposeHeaders?: string[]
}

/** Options for {@link createRest}. */
export interface RestOptions {
  /** The core database (`createDatabase()`); every request runs in `db.withClaims`. */
  db: Database
  /**
   * Resolves the caller (core's `createJwtAuthenticator` or `auth.authenticate`). Without it every
   * request runs as `anonRole`.
   */
  authenticate?: Authenticate
  /** Exposed schemas; the first is the default (PostgREST's `db-schemas`). @default ['public'] */
  schemas?: string[]
  /** Role for requests without credentials when no `authenticate` is given. @default db.roles.anon */
  anonRole?: string
  /** Hard cap on rows returned by a read (PostgREST's `db-max-rows`). @default no limit */
  maxRows?: number
  /** Allow `count()`, `sum()`, `avg()`, `min()`, `max()` in `select` (PostgREST's `db-aggregates-enabled`). @default false */
  aggregates?: boolean
  /** Serve an OpenAPI 3.1 document at the root (`GET /`); `false` is `openapiMode: 'disabled'`. @default true */
  openapi?: boolean
  /**
   * What the root document lists (PostgREST's `openapi-mode`): only what the caller's role has
   * privileges on, everything exposed, or nothing (404 PGRST126). @default 'follow-privileges'
   */
  openapiMode?: 'follow-privileges' | 'ignore-privileges' | 'disabled'
  /**
   * Most embedded resources one `select` may contain (all levels together); more is 400 PGRST100.
   * Each embed is a lateral join: an anonymous URL with hundreds of them would hold a backend's CPU.
   * @default 50
   */
  maxEmbeds?: number
  /** Deepest embedding one `select` may nest (`a(b(c(…)))`); deeper is 400 PGRST100. @default 10 */
  maxEmbedDepth?: number
  /** Stripped from request paths before routing, for frameworks that pass the full URL. @default '' */
  basePath?: string
  /** How transactions end (PostgREST's `db-tx-end`). @default 'commit' */
  txEnd?: TxEnd
  /** Answer `Accept: application/vnd.pgrst.plan` with `EXPLAIN` output (PostgREST's `db-plan-enabled`). @default false */
  planEnabled?: boolean
  /** CORS handling; `false` sends no CORS headers. @default true */
  cors?: boolean | CorsOptions
  /** Milliseconds to wait after a DDL or reload notification before re-reading the catalogs. @default 100 */
  reloadDebounce?: number
  /** Listen for `NOTIFY pgrst` and DDL notifications to reload the schema cache. @default true */
  listen?: boolean
  /**
   * Seconds to reuse a successful `authenticate` result for the same `Authorization`/`apikey`
   * headers (never past the token's `exp`), like PostgREST's `jwt-cache-max-lifetime`. Leave at 0
   * when `authenticate` checks revocable sessions and revocation must apply at once. @default 0
   */
  jwtCacheMaxLifetime?: number
  /**
   * A function called with no arguments at the start of every request's transaction, after the
   * role, claims and `search_path` are set (PostgREST's `db-pre-request`): `'schema.fn'`, or a bare
   * name looked up on the request's `search_path`. It may `RAISE` to reject the request (any
   * PostgREST error mapping applies, e.g. `SQLSTATE 'PT403'` → 403) or set `response.headers`.
   *
   * @see https://docs.postgrest.org/en/v14/references/transactions.html#pre-request
   */
  preRequest?: string
  /**
   * Schemas appended to each request's `search_path` after the request's own schema (PostgREST's
   * `db-extra-search-path`), so unqualified names in functions, views' functions and triggers
   * resolve as they do under PostgREST. Their objects get no endpoints. @default ['public']
   *
   * @see https://docs.postgrest.org/en/v14/references/configuration.html#db-extra-search-path
   */
  extraSearchPath?: string[]
  /**
   * Largest request body read, in bytes; a longer one is refused with 413 while it streams, before
   * it is buffered or a connection is taken. Generous for bulk inserts. @default 10485760 (10 MiB)
   */
  maxBodyBytes?: number
  /** Deepest JSON nesting accepted in a request body (400 PGRST102 past it). @default 128 */
  maxJsonDepth?: number
  /**
   * Send PostgREST's `Server-Timing` header (`jwt`, `parse`, `plan`, `transaction`, `response`
   * durations in milliseconds) on every answer (PostgREST's `server-timing-enabled`). @default false
   *
   * @see https://docs.postgrest.org/en/v14/references/observability.html#server-timing-header
   */
  serverTimingEnabled?: boolean
  /**
   * Name each distinct SQL text as a server-side prepared statement, planned once per connection
   * (PostgREST's `db-prepared-statements`). Turn off behind a transaction-mode pooler (PgBouncer)
   * that does not support prepared statements. @default true
   */
  preparedStatements?: boolean
  /** Receives errors that were answered with a generic 500. */
  onError?: OnError
  /**
   * Packages extending the API: filter operators, order terms, response media types and column
   * types (e.g. `geo.rest` from `@groundwork/geo`). See docs/rest.md, "Extensions". @default []
   */
  extensions?: RestExtension[]
}

/** The zod schema {@link RestOptions} is validated with. */
export const restOptionsSchema = optionsSchema<RestOptions>()(
  z.object({
    db: databaseOption,
    authenticate: functionOption<Authenticate>().optional(),
    schemas: z.array(z.string().min(1)).min(1).default(['public']),
    anonRole: z.string().min(1).optional(),
    maxRows: z.number().int().positive().optional(),
    aggregates: z.boolean().default(false),
    openapi: z.boolean().default(true),
    openapiMode: z.enum(['follow-privileges', 'ignore-privileges', 'disabled']).default('follow-privileges'),
    maxEmbeds: z.number().int().min(0).max(10_000).default(50),
    maxEmbedDepth: z.number().int().min(0).max(20).default(10),
    basePath: basePathOption,
    txEnd: z
      .enum(['commit', 'rollback', 'commit-allow-override', 'rollback-allow-override'])
      .default('commit'),
    planEnabled: z.boolean().default(false),
    cors: z
      .union([
        z.boolean(),
        z.object({
          origins: z.union([z.literal('*'), z.array(z.string().min(1))]).optional(),
          exposeHeaders: z.array(z.string().min(1)).optional(),
        }),
      ])
      .default(true),
    reloadDebounce: z.number().int().nonnegative().default(100),
    listen: z.boolean().default(true),
    jwtCacheMaxLifetime: z.number().int().nonnegative().default(0),
    preRequest: z
      .string()
      .regex(/^[^.]+(\.[^.]+)?$/, "must be 'schema.function' or 'function'")
      .refine((name) => !name.includes('\u0000'), 'must not contain NUL')
      .optional(),
    extraSearchPath: z
      .array(
        z
          .string()
          .min(1)
          .refine((name) => !name.includes('\u0000'), 'must not contain NUL'),
      )
      .default(['public']),
    maxBodyBytes: maxBodyBytesOption(10 * 1024 * 1024),
    maxJsonDepth: z.number().int().min(1).max(10_000).default(DEFAULT_MAX_JSON_DEPTH),
    serverTimingEnabled: z.boolean().default(false),
    preparedStatements: z.boolean().default(true),
    onError: functionOption<OnError>().optional(),
    extensions: z
      .array(
        z.custom<RestExtension>(
          (value) =>
            typeof value === 'object' &&
            value !== null &&
            typeof (value as { name?: unknown }).name === 'string',
          'must be a rest extension ({ name, operators?, orders?, mediaTypes?, columnTypes? })',
        ),
      )
      .default([]),
  }),
)

/** {@link RestOptions} after validation and defaults. */
export type ResolvedRestOptions = z.output<typeof restOptionsSchema>
