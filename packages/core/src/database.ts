import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { z } from 'zod'
import { cancelOnAbort, requestAborted } from './cancel-on-abort'
import { claimParameters, type JwtClaims, type RequestContext, SET_CLAIMS_SQL } from './claims'
import { parseOptions } from './config'
import { GroundworkError } from './errors'
import { type Logger, SILENT_LOGGER } from './logger'
import type { PrincipalCheck } from './principal'
import { type RoleNames, roleNamesSchema } from './roles'

// biome-ignore lint/suspicious/noExplicitAny: the host's schema is unknown to us; callers may pass their own Kysely type.
type AnyDB = any

/** Options for {@link createDatabase}. Pass a `connectionString` or a `pool` of your own. */
export interface DatabaseOptions {
  /** A PostgreSQL URL, e.g. `postgres://user@localhost/app`. */
  connectionString?: string
  /** Your own `pg.Pool`; Groundwork then never ends it (`close()` leaves it open). */
  pool?: pg.Pool
  /** Maximum pool size when Groundwork creates the pool. @default 10 */
  max?: number
  /** Role names, if yours differ from Supabase's. @default { anon: 'anon', authenticated: 'authenticated', service: 'service_role' } */
  roles?: Partial<RoleNames>
  /** Where pool errors and migration notices go. @default silent */
  logger?: Logger
  /**
   * Roles a request may run as besides `roles.anon`, `roles.authenticated` and `roles.service`.
   * `withClaims` refuses any other role (401 `CORE_ROLE_NOT_ALLOWED`), whatever a token says: a
   * token naming `postgres` (or `none`, which would fall back to the connecting user) never switches
   * to it. @default []
   */
  allowedRoles?: string[]
  /**
   * `statement_timeout` in milliseconds per request role, set in every request transaction (0 = no
   * limit); merged over the defaults (Supabase's), and roles in neither keep the connection's own
   * — so an anonymous query cannot hold a backend for minutes.
   * @default { anon: 3000, authenticated: 8000 } (by `roles` names)
   */
  statementTimeouts?: Record<string, number>
}

/** A transaction (or a connection inside one) handed to callbacks. */
export interface Transaction {
  /** The checked-out `pg` client; the transaction is already open. */
  readonly client: pg.PoolClient
  /** Runs a parameterised query on this transaction. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string | pg.QueryConfig,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>
  /** A Kysely instance bound to this transaction's connection (created on first use). */
  readonly kysely: Kysely<AnyDB>
}

/** Options for {@link Database.withClaims}. */
export interface WithClaimsOptions extends RequestContext {
  /** Open the transaction `READ ONLY` (PostgREST does for GET and HEAD). @default false */
  readOnly?: boolean
  /** Run inside this caller's transaction instead of a new one; settings are restored afterwards. */
  transaction?: Transaction
  /**
   * Statements to run right after the claims (a `Principal`'s `checks`): one raising
   * `SQLSTATE 'PT401'` refuses the request with 401 `CORE_CREDENTIALS_REVOKED`.
   */
  checks?: readonly PrincipalCheck[]
  /**
   * Cancels the running statement (`pg_cancel_backend`) when it aborts, e.g. the `request.signal`
   * of an HTTP request whose client went away; the connection is then discarded, not reused.
   */
  signal?: AbortSignal
}

/** What {@link createDatabase} returns: a pool, Kysely, and the claims-scoped transaction every request uses. */
export interface Database {
  readonly pool: pg.Pool
  readonly kysely: Kysely<AnyDB>
  readonly roles: RoleNames
  /** Roles requests may run as besides `roles` (the `allowedRoles` option). */
  readonly allowedRoles: readonly string[]
  readonly logger: Logger
  /**
   * Runs `fn` in one transaction as the Postgres role named by `claims.role` (the anon role when
   * absent), with `request.jwt.claims`, the legacy `request.jwt.claim.sub`/`.role`,
   * `request.method`, `request.path` and `request.headers` set locally, so row-level security
   * policies (`auth.uid()`, `auth.jwt()`) decide what `fn` may see and change.
   *
   * @example
   * ```ts
   * const todos = await db.withClaims({ role: 'authenticated', sub: userId }, (tx) =>
   *   tx.query('select * from todos'),
   * )
   * ```
   * @see https://docs.postgrest.org/en/v12/references/transactions.html
   */
  withClaims<T>(
    claims: JwtClaims | null,
    fn: (tx: Transaction) => Promise<T>,
    options?: WithClaimsOptions,
  ): Promise<T>
  /**
   * The parameters of core's claims statement for `claims` (role checked against the allowed
   * roles, the role's `statement_timeout`), for Groundwork packages that send it themselves
   * (pipelined). Throws 401 `CORE_ROLE_NOT_ALLOWED` for a role outside the allowed ones.
   */
  claimParameters(claims: JwtClaims | null, context?: RequestContext): string[]
  /** Runs `fn` in a transaction as the connecting user (no role switch): for trusted server code. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>
  /** Runs one parameterised query on the pool as the connecting user. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string | pg.QueryConfig,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>
  /** Ends the pool if Groundwork created it. */
  close(): Promise<void>
}

const optionsSchema = z
  .object({
    connectionString: z.string().min(1).optional(),
    pool: z
      .custom<pg.Pool>((value) => value instanceof pg.Pool || isPoolLike(value), 'must be a pg.Pool')
      .optional(),
    max: z.number().int().positive().optional(),
    roles: roleNamesSchema,
    logger: z.custom<Logger>((value) => typeof value === 'object' && value !== null).optional(),
    allowedRoles: z.array(z.string().min(1).max(63)).default([]),
    statementTimeouts: z
      .record(
        z.string().min(1).max(63),
        z
          .number()
          .int()
          .min(0)
          .max(2 ** 31 - 1),
      )
      .optional(),
  })
  .refine((o) => Boolean(o.connectionString) !== Boolean(o.pool), {
    message: 'pass exactly one of `connectionString` or `pool`',
    path: ['connectionString'],
  })

function isPoolLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as pg.Pool).connect === 'function'
}

/**
 * Creates the database handle every Groundwork package accepts.
 *
 * @example
 * ```ts
 * const db = createDatabase({ connectionString: process.env.DATABASE_URL })
 * await migrate(db, [coreMigrations])
 * ```
 */
export function createDatabase(options: DatabaseOptions): Database {
  const resolved = parseOptions(optionsSchema, options, 'createDatabase')
  const logger = resolved.logger ?? SILENT_LOGGER
  const ownsPool = !resolved.pool
  const pool =
    resolved.pool ?? new pg.Pool({ connectionString: resolved.connectionString, max: resolved.max ?? 10 })
  // An idle client losing its connection emits 'error' on the pool; unhandled, that would crash the host.
  if (pool.listenerCount('error') === 0) {
    pool.on('error', (error) => logger.error('groundwork: idle database connection failed', error))
  }
  const kysely = new Kysely<AnyDB>({ dialect: new PostgresDialect({ pool }) })

  const allowedRoles = new Set([
    resolved.roles.anon,
    resolved.roles.authenticated,
    resolved.roles.service,
    ...resolved.allowedRoles,
  ])
  const timeouts: Record<string, number> = {
    [resolved.roles.anon]: 3000,
    [resolved.roles.authenticated]: 8000,
    ...resolved.statementTimeouts,
  }

  function requestRole(claims: JwtClaims | null): string {
    const role = claims?.role
    if (role === undefined || role === null || role === '') return resolved.roles.anon
    if (typeof role !== 'string' || !allowedRoles.has(role)) {
      throw new GroundworkError('CORE_ROLE_NOT_ALLOWED', 'The role in the credentials is not allowed', {
        status: 401,
        hint: 'Requests may only run as the API roles (anon, authenticated, service_role) or `allowedRoles`',
      })
    }
    return role
  }

  function parametersFor(claims: JwtClaims | null, context: RequestContext = {}): string[] {
    const role = requestRole(claims)
    const timeout = timeouts[role]
    return claimParameters(role, claims, context, timeout === undefined ? '' : String(timeout))
  }

  async function inTransaction<T>(
    begin: string,
    setup: readonly pg.QueryConfig[],
    fn: (tx: Transaction) => Promise<T>,
    signal?: AbortSignal,
    setupError: (error: unknown) => never = rethrow,
  ) {
    const client = await pool.connect()
    let released = false
    const watch = cancelOnAbort(pool, client, signal)
    try {
      const tx = transactionOn(client)
      try {
        // Aborted while waiting for a connection: the client is gone, run nothing.
        if (signal?.aborted) throw requestAborted()
        await openTransaction(client, begin, setup).catch(setupError)
        const result = await fn(tx)
        await client.query('COMMIT')
        return result
      } catch (error) {
        try {
          await client.query('ROLLBACK')
        } catch (rollbackError) {
          // The connection is broken: destroy it rather than return it to the pool.
          client.release(rollbackError as Error)
          released = true
        }
        throw error
      }
    } finally {
      watch.done()
      // A cancelled connection is discarded: a late cancel must never reach the next user's query.
      if (!released) client.release(watch.aborted ? new Error('request aborted') : undefined)
    }
  }

  const db: Database = {
    pool,
    kysely,
    roles: resolved.roles,
    allowedRoles: resolved.allowedRoles,
    logger,
    async withClaims(claims, fn, opts = {}) {
      const params = parametersFor(claims, opts)
      const checks = opts.checks ?? []
      if (opts.transaction) {
        const checked: typeof fn =
          checks.length === 0
            ? fn
            : async (tx) => {
                for (const check of checks)
                  await tx.query(check.text, [...check.values]).catch(refusedCredential)
                return fn(tx)
              }
        return withClaimsInside(opts.transaction, params, checked)
      }
      // BEGIN, the claims and the caller's checks leave in one round trip (pipelined).
      return inTransaction(
        opts.readOnly ? 'BEGIN READ ONLY' : 'BEGIN',
        [
          { name: 'groundwork_set_claims', text: SET_CLAIMS_SQL, values: params },
          ...checks.map((check) => ({ text: check.text, values: [...check.values] })),
        ],
        fn,
        opts.signal,
        refusedCredential,
      )
    },
    claimParameters: parametersFor,
    transaction(fn) {
      return inTransaction('BEGIN', [], fn)
    },
    query(text, values) {
      return pool.query(text as string, values)
    },
    async close() {
      if (ownsPool && !pool.ended) await pool.end()
    },
  }
  return db
}

function rethrow(error: unknown): never {
  throw error
}

/** A `PT401` raised by a principal's check is the credential being refused (401). */
function refusedCredential(error: unknown): never {
  if ((error as { code?: unknown } | null)?.code === 'PT401') {
    throw new GroundworkError('CORE_CREDENTIALS_REVOKED', (error as Error).message, {
      status: 401,
      cause: error,
      headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    })
  }
  throw error
}

type PipelineClient = pg.PoolClient & {
  pipeline?: boolean
  connection?: { stream?: { cork?: () => void; uncork?: () => void } }
}

/**
 * `BEGIN` and the setup statements, written to the connection at once with node-postgres' pipeline
 * mode (one round trip instead of one each); sequentially on clients without it. Postgres runs
 * them in order: if one fails the transaction is aborted and nothing after it runs, and the
 * caller rolls back. The first failure is the cause.
 *
 * @see https://node-postgres.com/features/pipelining
 */
async function openTransaction(client: pg.PoolClient, begin: string, setup: readonly pg.QueryConfig[]) {
  const pipelined = client as PipelineClient
  if (setup.length === 0 || typeof pipelined.pipeline !== 'boolean') {
    await client.query(begin)
    for (const statement of setup) await client.query(statement)
    return
  }
  pipelined.pipeline = true
  const stream = pipelined.connection?.stream
  stream?.cork?.()
  const pending = [client.query(begin), ...setup.map((statement) => client.query(statement))]
  stream?.uncork?.()
  try {
    const settled = await Promise.allSettled(pending)
    const failed = settled.find((step) => step.status === 'rejected')
    if (failed) throw failed.reason
  } finally {
    pipelined.pipeline = false
  }
}

/**
 * True for a {@link Database} from `createDatabase()` (any copy of this package): the one check
 * every package's options use.
 */
export function isDatabase(value: unknown): value is Database {
  if (typeof value !== 'object' || value === null) return false
  const db = value as Partial<Record<keyof Database, unknown>>
  return (
    typeof db.pool === 'object' &&
    db.pool !== null &&
    typeof db.withClaims === 'function' &&
    typeof db.transaction === 'function' &&
    typeof db.query === 'function' &&
    typeof db.roles === 'object' &&
    db.roles !== null
  )
}

/** Wraps a checked-out client as a {@link Transaction}. */
export function transactionOn(client: pg.PoolClient): Transaction {
  let bound: Kysely<AnyDB> | undefined
  return {
    client,
    query: (text, values) => client.query(text as string, values),
    get kysely() {
      bound ??= new Kysely<AnyDB>({ dialect: new PostgresDialect({ pool: singleConnectionPool(client) }) })
      return bound
    },
  }
}

/** A pool-shaped view of one connection, so Kysely runs on a transaction we already opened. */
function singleConnectionPool(client: pg.PoolClient) {
  // Delegate rather than inherit: pg keeps connection state on `this`.
  const connection = {
    query: (...args: Parameters<pg.PoolClient['query']>) =>
      (client.query as (...a: unknown[]) => unknown)(...args),
    release: () => {},
  }
  return {
    connect: async () => connection,
    end: async () => {},
  } as unknown as pg.Pool
}

/**
 * Applies claims inside a transaction the caller owns. A savepoint scopes it: on error the
 * savepoint is rolled back (undoing the role switch and leaving the caller's transaction usable);
 * on success the previous settings are restored before the savepoint is released.
 */
async function withClaimsInside<T>(
  tx: Transaction,
  params: string[],
  fn: (tx: Transaction) => Promise<T>,
): Promise<T> {
  await tx.query('SAVEPOINT groundwork_claims')
  const previous = await tx.query<{ settings: string[] }>(
    "select array[current_setting('role'), coalesce(current_setting('request.jwt.claims', true), ''), " +
      "coalesce(current_setting('request.jwt.claim.sub', true), ''), coalesce(current_setting('request.jwt.claim.role', true), ''), " +
      "coalesce(current_setting('request.method', true), ''), coalesce(current_setting('request.path', true), ''), " +
      "coalesce(current_setting('request.headers', true), ''), current_setting('statement_timeout')] as settings",
  )
  const settings = previous.rows[0]?.settings
  if (!settings)
    throw new GroundworkError('CORE_CLAIMS_FAILED', 'Could not read the current transaction settings')
  let result: T
  try {
    await tx.query({ name: 'groundwork_set_claims', text: SET_CLAIMS_SQL, values: params })
    result = await fn(tx)
  } catch (error) {
    await tx.query('ROLLBACK TO SAVEPOINT groundwork_claims')
    throw error
  }
  await tx.query({ name: 'groundwork_set_claims', text: SET_CLAIMS_SQL, values: settings })
  await tx.query('RELEASE SAVEPOINT groundwork_claims')
  return result
}
