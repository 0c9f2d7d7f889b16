import {
  type Database,
  type Principal,
  quoteIdent,
  type RequestContext,
  type Transaction,
} from '@groundwork/core'
import { SET_CLAIMS_SQL } from '@groundwork/core/kit'
import { UPDATED_SETTING } from '../compiler/response'
import type { ResolvedRestOptions } from '../options'

/** A statement as node-postgres takes it (named ones are prepared once per connection). */
export interface SetupStatement {
  name?: string
  text: string
  values?: unknown[]
}

// Core's claims statement plus the request's search_path, in one statement: the hot paths send it
// pipelined, so the search_path costs no round trip. Same text for every createRest() instance,
// so the prepared name can be shared on a pool.
const SET_CLAIMS_AND_SEARCH_PATH_SQL = `${SET_CLAIMS_SQL}, set_config('search_path', $9, true)`
const SET_SEARCH_PATH_SQL = "select set_config('search_path', $1, true)"
const SET_TIMEZONE_SQL = "select set_config('timezone', $1, true)"
// For api.query inside a caller's transaction: what to put back, and the response GUCs (read by
// the response statement) emptied before and after, so one call's headers never reach the next.
const CALLER_SETTINGS_SQL =
  "select current_setting('search_path') as path, current_setting('timezone') as timezone, " +
  "set_config('response.headers', '', true), set_config('response.status', '', true), " +
  `set_config('${UPDATED_SETTING}', '', true)`
const RESTORE_CALLER_SETTINGS_SQL =
  "select set_config('search_path', $1, true), set_config('timezone', $2, true), " +
  "set_config('response.headers', '', true), set_config('response.status', '', true), " +
  `set_config('${UPDATED_SETTING}', '', true)`

/**
 * The `search_path` of a request on `schema`: the schema itself, then `extraSearchPath`, as
 * PostgREST sets it (`db-schemas` entry + `db-extra-search-path`).
 *
 * @see https://docs.postgrest.org/en/v14/references/configuration.html#db-extra-search-path
 */
export function searchPathFor(options: ResolvedRestOptions, schema: string): string {
  return [schema, ...options.extraSearchPath.filter((extra) => extra !== schema)].map(quoteIdent).join(', ')
}

/** `select "schema"."fn"()` for the configured pre-request function, or null. */
export function preRequestStatement(options: ResolvedRestOptions): SetupStatement | null {
  if (!options.preRequest) return null
  const name = options.preRequest.split('.').map(quoteIdent).join('.')
  return { text: `select ${name}()` }
}

/**
 * The statements that open a request's transaction after `BEGIN`, for the pipelined paths: role,
 * claims, request settings and `search_path` in one, then the pre-request function if any.
 */
export function requestSetup(
  db: Database,
  options: ResolvedRestOptions,
  principal: Pick<Principal, 'claims' | 'checks'>,
  context: RequestContext,
  schema: string,
): SetupStatement[] {
  const statements: SetupStatement[] = [
    {
      ...(options.preparedStatements ? { name: 'gw_rest_set_claims' } : {}),
      text: SET_CLAIMS_AND_SEARCH_PATH_SQL,
      values: [...db.claimParameters(principal.claims, context), searchPathFor(options, schema)],
    },
    // The caller's checks (a revoked API key raises PT401), in the same round trip.
    ...(principal.checks ?? []).map((check) => ({ text: check.text, values: [...check.values] })),
  ]
  const preRequest = preRequestStatement(options)
  if (preRequest) statements.push(preRequest)
  return statements
}

/**
 * The same settings inside a `db.withClaims` transaction (claims are already set there): the
 * `search_path`, the `Prefer: timezone` if any, then the pre-request function. Inside a caller's
 * own transaction (`api.query` with `transaction`) the returned function puts the caller's
 * `search_path` and `timezone` back and empties the response GUCs; on failure the savepoint
 * `withClaims` opened undoes them anyway.
 */
export async function applyRequestSetup(
  tx: Transaction,
  options: ResolvedRestOptions,
  schema: string,
  settings: { callerTransaction: boolean; timezone: string | null },
): Promise<() => Promise<void>> {
  let previous: { path: string; timezone: string } | undefined
  if (settings.callerTransaction) {
    // Also clears response.headers/status a previous api.query in this transaction may have left.
    const { rows } = await tx.query<{ path: string; timezone: string }>(CALLER_SETTINGS_SQL)
    previous = rows[0]
  }
  await tx.query(SET_SEARCH_PATH_SQL, [searchPathFor(options, schema)])
  if (settings.timezone) await tx.query(SET_TIMEZONE_SQL, [settings.timezone])
  const preRequest = preRequestStatement(options)
  if (preRequest) await tx.query(preRequest.text)
  return async () => {
    if (!previous) return
    await tx.query(RESTORE_CALLER_SETTINGS_SQL, [previous.path, previous.timezone])
  }
}
