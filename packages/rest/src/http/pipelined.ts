import {
  claimParameters,
  type Database,
  type JwtClaims,
  type RequestContext,
  SET_CLAIMS_SQL,
} from '@groundwork/core'
import type pg from 'pg'

// The claims statement and its parameters come from core, so this pipelined path and
// `db.withClaims` can never set different settings.
export { claimParameters, SET_CLAIMS_SQL } from '@groundwork/core'

export type PipelineClient = pg.PoolClient & { pipeline?: boolean }

/**
 * Runs one read-only statement exactly as `db.withClaims(claims, tx => tx.query(statement),
 * { readOnly: true })` would — `BEGIN READ ONLY`, the claims statement, the statement, `COMMIT` —
 * but written to the connection in ONE round trip using node-postgres' pipeline mode
 * (https://node-postgres.com/features/pipelining), instead of four.
 *
 * Safety: Postgres executes the pipelined messages in order. If the claims statement fails, the
 * transaction is aborted and the statement fails too (25P02); the final `COMMIT` then only rolls
 * back. The result is used only when `BEGIN` and the claims statement both succeeded, so nothing
 * read outside the caller's role is ever returned. Clients without pipeline support (pg-native,
 * custom pools) get the same four statements sequentially.
 */
export async function pipelinedRead<R extends pg.QueryResultRow>(
  db: Database,
  claims: JwtClaims | null,
  context: RequestContext,
  statement: pg.QueryConfig,
  rollback: boolean,
): Promise<pg.QueryResult<R>> {
  const role = typeof claims?.role === 'string' && claims.role !== '' ? claims.role : db.roles.anon
  const setClaims = {
    name: 'gw_rest_set_claims',
    text: SET_CLAIMS_SQL,
    values: claimParameters(role, claims, context),
  }
  const end = rollback ? 'ROLLBACK' : 'COMMIT'
  const client = (await db.pool.connect()) as PipelineClient
  let broken: Error | undefined
  try {
    if (typeof client.pipeline !== 'boolean') {
      await client.query('BEGIN READ ONLY')
      try {
        await client.query(setClaims)
        const result = await client.query<R>(statement)
        await client.query(end)
        return result
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError
        })
        throw error
      }
    }
    client.pipeline = true
    // Cork the socket so the four queries leave in one write (one syscall, one packet).
    const stream = (client as { connection?: { stream?: { cork?: () => void; uncork?: () => void } } })
      .connection?.stream
    stream?.cork?.()
    const pending = [
      client.query('BEGIN READ ONLY'),
      client.query(setClaims),
      client.query<R>(statement),
      client.query(end),
    ]
    stream?.uncork?.()
    const settled = await Promise.allSettled(pending)
    client.pipeline = false
    const [begin, claimsSet, main, finish] = settled
    if (finish?.status === 'rejected') {
      // COMMIT/ROLLBACK itself failed: the connection is unusable.
      broken = finish.reason as Error
    }
    for (const step of [begin, claimsSet, main]) {
      if (step?.status === 'rejected') throw step.reason
    }
    if (broken) throw broken
    return (main as PromiseFulfilledResult<pg.QueryResult<R>>).value
  } finally {
    if (client.pipeline === true) {
      client.pipeline = false
      broken ??= new Error('pipeline interrupted')
    }
    client.release(broken)
  }
}
