import type { Database, Transaction } from '@groundwork/core'
import { AuthError } from './errors'

/** Anything that runs a parameterised query: a core `Database` or `Transaction`. */
export interface Queryable {
  query<R extends object = Record<string, unknown>>(
    text: string | NamedStatement,
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>
}

/** A named statement with its parameters (pg's `QueryConfig`). */
export interface NamedStatement {
  name: string
  text: string
  values: unknown[]
}

/**
 * A statement of a hot path (token refresh, the session check every request makes, code
 * redemption) as a named prepared statement: each pooled connection parses and plans it once and
 * then only binds and executes it — for these multi-join statements planning costs several times
 * what executing does. PostgREST prepares its statements for the same reason. Behind a pooler in
 * transaction mode, that pooler must support protocol-level prepared statements (PgBouncer ≥ 1.21
 * with `max_prepared_statements`).
 *
 * `name` must be unique per `text` (pg refuses one name for two texts on a connection): callers
 * pass a constant per call site.
 *
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 * @see https://docs.postgrest.org/en/stable/references/configuration.html#db-prepared-statements
 */
export function named(name: string, text: string, values: unknown[]): NamedStatement {
  return { name: `groundwork_auth_${name}`, text, values }
}

/**
 * Runs `fn` in one transaction as the connecting role. An `AuthError` with `commit: true` commits
 * the writes made so far and is then thrown (GoTrue's `NewCommitWithError`: a refresh-token reuse
 * revokes the token family *and* fails).
 */
export async function transact<T>(db: Database, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  const outcome = await db.transaction(async (tx) => {
    try {
      return { ok: true as const, value: await fn(tx) }
    } catch (error) {
      if (error instanceof AuthError && error.commit) return { ok: false as const, error }
      throw error
    }
  })
  if (!outcome.ok) throw outcome.error
  return outcome.value
}
