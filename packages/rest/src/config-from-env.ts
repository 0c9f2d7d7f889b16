/**
 * PostgREST's configuration, read from its `PGRST_*` environment variables with its value syntax,
 * so a deployment moving from PostgREST keeps its settings. Library code reads no environment:
 * the host passes `process.env` (or any record) and spreads the result into `createRest`.
 *
 * @see https://docs.postgrest.org/en/v14/references/configuration.html
 */
import { ConfigError } from '@groundwork/core'
import type { RestOptions, TxEnd } from './options'

/** The `createRest` options `PGRST_*` variables set. */
export type RestEnvOptions = Pick<
  RestOptions,
  | 'schemas'
  | 'anonRole'
  | 'extraSearchPath'
  | 'maxRows'
  | 'aggregates'
  | 'txEnd'
  | 'planEnabled'
  | 'preRequest'
  | 'openapiMode'
  | 'serverTimingEnabled'
  | 'jwtCacheMaxLifetime'
  | 'cors'
  | 'listen'
  | 'preparedStatements'
>

/** An environment: `process.env` or any record of strings. */
export type Environment = Readonly<Record<string, string | undefined>>

/**
 * Maps PostgREST's `PGRST_*` variables onto {@link RestOptions}; unset (or empty) variables are
 * left out so `createRest`'s defaults apply. Values use PostgREST's syntax: lists are
 * comma-separated (spaces trimmed), booleans `true`/`false` in any case or a number (`0` is
 * false), durations in seconds. A value PostgREST would not accept throws a `ConfigError` naming
 * the variable.
 *
 * | variable | option |
 * | --- | --- |
 * | `PGRST_DB_SCHEMAS` (`PGRST_DB_SCHEMA`) | `schemas` |
 * | `PGRST_DB_ANON_ROLE` | `anonRole` |
 * | `PGRST_DB_EXTRA_SEARCH_PATH` | `extraSearchPath` |
 * | `PGRST_DB_MAX_ROWS` (`PGRST_MAX_ROWS`) | `maxRows` |
 * | `PGRST_DB_AGGREGATES_ENABLED` | `aggregates` |
 * | `PGRST_DB_TX_END` | `txEnd` |
 * | `PGRST_DB_PLAN_ENABLED` | `planEnabled` |
 * | `PGRST_DB_PRE_REQUEST` (`PGRST_PRE_REQUEST`) | `preRequest` |
 * | `PGRST_OPENAPI_MODE` | `openapiMode` |
 * | `PGRST_SERVER_TIMING_ENABLED` | `serverTimingEnabled` |
 * | `PGRST_JWT_CACHE_MAX_LIFETIME` | `jwtCacheMaxLifetime` |
 * | `PGRST_SERVER_CORS_ALLOWED_ORIGINS` | `cors: { origins }` |
 * | `PGRST_DB_CHANNEL_ENABLED` | `listen` |
 * | `PGRST_DB_PREPARED_STATEMENTS` | `preparedStatements` |
 *
 * The pool settings (`PGRST_DB_POOL*`, `PGRST_DB_URI`) belong to the pool the host creates: see
 * {@link poolOptionsFromEnv}.
 *
 * @example
 * ```ts
 * const rest = createRest({ db, authenticate, ...restOptionsFromEnv(process.env) })
 * ```
 */
export function restOptionsFromEnv(env: Environment): RestEnvOptions {
  const options: RestEnvOptions = {}
  const schemas = list(env, 'PGRST_DB_SCHEMAS') ?? list(env, 'PGRST_DB_SCHEMA')
  if (schemas) {
    for (const forbidden of ['pg_catalog', 'information_schema']) {
      if (schemas.includes(forbidden)) {
        throw new ConfigError('PGRST_DB_SCHEMAS', `db-schemas does not allow schema: '${forbidden}'`)
      }
    }
    options.schemas = schemas
  }
  const anonRole = text(env, 'PGRST_DB_ANON_ROLE')
  if (anonRole !== undefined) options.anonRole = anonRole
  // Emptyable, as in PostgREST: an empty value means no extra schemas at all.
  const extra = env.PGRST_DB_EXTRA_SEARCH_PATH
  if (extra !== undefined) options.extraSearchPath = extra.trim() === '' ? [] : splitOnCommas(extra)
  const maxRows = integer(env, 'PGRST_DB_MAX_ROWS') ?? integer(env, 'PGRST_MAX_ROWS')
  if (maxRows !== undefined) options.maxRows = maxRows
  const aggregates = boolean(env, 'PGRST_DB_AGGREGATES_ENABLED')
  if (aggregates !== undefined) options.aggregates = aggregates
  const txEnd = text(env, 'PGRST_DB_TX_END')
  if (txEnd !== undefined)
    options.txEnd = oneOf(txEnd, TX_ENDS, 'PGRST_DB_TX_END', 'Invalid transaction termination')
  const plan = boolean(env, 'PGRST_DB_PLAN_ENABLED')
  if (plan !== undefined) options.planEnabled = plan
  const preRequest = text(env, 'PGRST_DB_PRE_REQUEST') ?? text(env, 'PGRST_PRE_REQUEST')
  if (preRequest !== undefined) options.preRequest = preRequest
  const openapiMode = text(env, 'PGRST_OPENAPI_MODE')
  if (openapiMode !== undefined) {
    options.openapiMode = oneOf(openapiMode, OPENAPI_MODES, 'PGRST_OPENAPI_MODE', 'Invalid openapi-mode')
  }
  const timing = boolean(env, 'PGRST_SERVER_TIMING_ENABLED')
  if (timing !== undefined) options.serverTimingEnabled = timing
  const jwtCache = integer(env, 'PGRST_JWT_CACHE_MAX_LIFETIME')
  if (jwtCache !== undefined) options.jwtCacheMaxLifetime = jwtCache
  const origins = list(env, 'PGRST_SERVER_CORS_ALLOWED_ORIGINS')
  if (origins) options.cors = { origins }
  const listen = boolean(env, 'PGRST_DB_CHANNEL_ENABLED')
  if (listen !== undefined) options.listen = listen
  const channel = text(env, 'PGRST_DB_CHANNEL')
  if (channel !== undefined && channel !== 'pgrst') {
    throw new ConfigError('PGRST_DB_CHANNEL', "only the default channel 'pgrst' is supported")
  }
  const prepared = boolean(env, 'PGRST_DB_PREPARED_STATEMENTS')
  if (prepared !== undefined) options.preparedStatements = prepared
  return options
}

/** `pg.Pool` settings (a `pg.PoolConfig` subset) from PostgREST's pool variables. */
export interface PoolEnvOptions {
  /** `PGRST_DB_URI`. */
  connectionString?: string
  /** `PGRST_DB_POOL`: connections at most. */
  max?: number
  /** `PGRST_DB_POOL_ACQUISITION_TIMEOUT` (seconds): waiting for a free connection, then an error. */
  connectionTimeoutMillis?: number
  /** `PGRST_DB_POOL_MAX_IDLETIME` (seconds): an idle connection is closed after it. */
  idleTimeoutMillis?: number
  /** `PGRST_DB_POOL_MAX_LIFETIME` (seconds): a connection is replaced after it. */
  maxLifetimeSeconds?: number
}

/**
 * PostgREST's pool settings as `pg.Pool` options, for the pool the host hands `createDatabase`
 * (`createDatabase({ pool: new pg.Pool({ ...poolOptionsFromEnv(process.env) }) })`). A pool
 * checkout that times out answers 504 PGRST003, as in PostgREST.
 */
export function poolOptionsFromEnv(env: Environment): PoolEnvOptions {
  const options: PoolEnvOptions = {}
  const uri = text(env, 'PGRST_DB_URI')
  if (uri !== undefined) options.connectionString = uri
  const max = integer(env, 'PGRST_DB_POOL')
  if (max !== undefined) options.max = max
  const acquisition = integer(env, 'PGRST_DB_POOL_ACQUISITION_TIMEOUT')
  if (acquisition !== undefined) options.connectionTimeoutMillis = acquisition * 1000
  const idle = integer(env, 'PGRST_DB_POOL_MAX_IDLETIME')
  if (idle !== undefined) options.idleTimeoutMillis = idle * 1000
  const lifetime = integer(env, 'PGRST_DB_POOL_MAX_LIFETIME')
  if (lifetime !== undefined) options.maxLifetimeSeconds = lifetime
  return options
}

const TX_ENDS: readonly TxEnd[] = ['commit', 'commit-allow-override', 'rollback', 'rollback-allow-override']
const OPENAPI_MODES = ['follow-privileges', 'ignore-privileges', 'disabled'] as const

/** PostgREST's `optString`: an empty value is unset. */
function text(env: Environment, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}

function splitOnCommas(value: string): string[] {
  return value.split(',').map((item) => item.trim())
}

function list(env: Environment, name: string): string[] | undefined {
  const value = text(env, name)
  if (value === undefined) return undefined
  const items = splitOnCommas(value)
  if (items.some((item) => item === '')) throw new ConfigError(name, 'an item of the list is empty')
  return items
}

/** PostgREST's `coerceInt`: a whole number. */
function integer(env: Environment, name: string): number | undefined {
  const value = text(env, name)
  if (value === undefined) return undefined
  if (!/^\s*-?\d{1,15}\s*$/.test(value))
    throw new ConfigError(name, `expected a whole number, got '${value}'`)
  return Number(value.trim())
}

/** PostgREST's `coerceBool`: `true`/`false` in any case (letters only), else a number (> 0 is true). */
function boolean(env: Environment, name: string): boolean | undefined {
  const value = text(env, name)
  if (value === undefined) return undefined
  const letters = value.replace(/[^A-Za-z]/g, '').toLowerCase()
  if (letters === 'true') return true
  if (letters === 'false') return false
  if (/^\s*-?\d{1,15}\s*$/.test(value)) return Number(value.trim()) > 0
  throw new ConfigError(name, `expected true or false, got '${value}'`)
}

function oneOf<T extends string>(value: string, allowed: readonly T[], name: string, message: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T
  throw new ConfigError(name, `${message}: '${value}' (one of ${allowed.join(', ')})`)
}
