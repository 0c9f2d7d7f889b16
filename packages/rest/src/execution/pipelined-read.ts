import type { Database } from '@groundwork/core'
import { cancelOnAbort, requestAborted } from '@groundwork/core/kit'
import type pg from 'pg'
import type { SetupStatement } from './request-setup'

export type PipelineClient = pg.PoolClient & { pipeline?: boolean }

/**
 * Runs one read-only statement exactly as `db.withClaims(claims, tx => tx.query(statement),
 * { readOnly: true })` would — `BEGIN READ ONLY`, the setup statements (claims and search_path,
 * then the pre-request function if configured; see request-setup.ts), the statement, `COMMIT` —
 * but written to the connection in ONE round trip using node-postgres' pipeline mode
 * (https://node-postgres.com/features/pipelining), instead of four or more.
 *
 * Safety: Postgres executes the pipelined messages in order. If a setup statement fails, the
 * transaction is aborted and the statement fails too (25P02); the final `COMMIT` then only rolls
 * back. The result is used only when `BEGIN` and every setup statement succeeded, so nothing
 * read outside the caller's role is ever returned. Clients without pipeline support (pg-native,
 * custom pools) get the same statements sequentially.
 */
export async function pipelinedRead<R extends pg.QueryResultRow>(
  db: Database,
  setup: readonly SetupStatement[],
  statement: pg.QueryConfig,
  rollback: boolean,
  signal?: AbortSignal,
): Promise<pg.QueryResult<R>> {
  const end = rollback ? 'ROLLBACK' : 'COMMIT'
  if (signal?.aborted) throw requestAborted()
  const client = (await db.pool.connect()) as PipelineClient
  if (signal?.aborted) {
    // The client left while this request waited for a connection: run nothing.
    client.release()
    throw requestAborted()
  }
  const watch = cancelOnAbort(db.pool, client, signal)
  let broken: Error | undefined
  try {
    if (typeof client.pipeline !== 'boolean') {
      await client.query('BEGIN READ ONLY')
      try {
        for (const step of setup) await client.query(step)
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
    const begin = client.query('BEGIN READ ONLY')
    const steps = setup.map((step) => client.query(step))
    const main = client.query<R>(statement)
    const finish = client.query(end)
    stream?.uncork?.()
    const settled = await Promise.allSettled([begin, ...steps, main, finish])
    client.pipeline = false
    const last = settled[settled.length - 1]
    if (last?.status === 'rejected') {
      // COMMIT/ROLLBACK itself failed: the connection is unusable.
      broken = last.reason as Error
    }
    // The first failure is the cause (later statements only report the aborted transaction).
    for (const step of settled.slice(0, -1)) {
      if (step.status === 'rejected') throw step.reason
    }
    if (broken) throw broken
    return (settled[settled.length - 2] as PromiseFulfilledResult<pg.QueryResult<R>>).value
  } finally {
    if (client.pipeline === true) {
      client.pipeline = false
      broken ??= new Error('pipeline interrupted')
    }
    watch.done()
    // A cancelled connection is discarded: a late cancel must never reach the next user's query.
    if (watch.aborted) broken ??= new Error('request aborted')
    client.release(broken)
  }
}
