import type { Database } from '@groundwork/core'
import { cancelOnAbort, requestAborted } from '@groundwork/core/kit'
import type pg from 'pg'
import type { ResponseRow } from '../compiler/response'
import type { RestResult } from '../context'
import type { PipelineClient } from '../execution/pipelined-read'
import type { SetupStatement } from '../execution/request-setup'

/** A compiled statement and how to turn its single response row into the answer. */
export interface PreparedStatement {
  statement: { name?: string; text: string; values: unknown[] }
  /** Builds the result, or throws — the transaction is then rolled back. */
  finish(row: ResponseRow): RestResult
}

/**
 * Runs a write (or an RPC call) exactly as `db.withClaims(claims, tx => tx.query(statement))` would — `BEGIN`,
 * the setup statements (claims and search_path, then the pre-request function if configured),
 * the statement, then `COMMIT` — in two round trips instead of four or more: all but `COMMIT` are written to the connection at once (node-postgres pipeline mode), and the
 * transaction ends only after {@link PreparedStatement.finish} accepted the result, so a failed
 * precondition (max-affected, singular object) still rolls the write back.
 *
 * Safety: Postgres runs pipelined messages in order inside the one transaction; if `BEGIN` or
 * a setup statement fails, the write fails too (25P02) and is rolled back, so nothing ever
 * runs outside the caller's role. `rollback` ends with `ROLLBACK` (Prefer: tx=rollback) but still
 * answers. Clients without pipeline support run the same statements one by one.
 *
 * @see https://node-postgres.com/features/pipelining
 */
export async function pipelinedWrite(
  db: Database,
  setup: readonly SetupStatement[],
  write: PreparedStatement,
  options: { rollback: boolean; readOnly?: boolean; signal?: AbortSignal | undefined },
): Promise<RestResult> {
  const begin = options.readOnly ? 'BEGIN READ ONLY' : 'BEGIN'
  if (options.signal?.aborted) throw requestAborted()
  const client = (await db.pool.connect()) as PipelineClient
  if (options.signal?.aborted) {
    // The client left while this request waited for a connection: run nothing.
    client.release()
    throw requestAborted()
  }
  const watch = cancelOnAbort(db.pool, client, options.signal)
  let broken: Error | undefined
  const abort = async () => {
    await client.query('ROLLBACK').catch((error: Error) => {
      broken = error
    })
  }
  try {
    let row: ResponseRow
    if (typeof client.pipeline !== 'boolean') {
      await client.query(begin)
      try {
        for (const step of setup) await client.query(step)
        row = (await client.query<ResponseRow & pg.QueryResultRow>(write.statement)).rows[0] as ResponseRow
      } catch (error) {
        await abort()
        throw error
      }
    } else {
      client.pipeline = true
      // Cork the socket so the three messages leave in one write.
      const stream = (client as { connection?: { stream?: { cork?: () => void; uncork?: () => void } } })
        .connection?.stream
      stream?.cork?.()
      const pending = [
        client.query(begin),
        ...setup.map((step) => client.query(step)),
        client.query<ResponseRow & pg.QueryResultRow>(write.statement),
      ]
      stream?.uncork?.()
      const settled = await Promise.allSettled(pending)
      client.pipeline = false
      // The first failure is the cause (later statements only report the aborted transaction).
      const failed = settled.find((step) => step.status === 'rejected')
      if (failed) {
        await abort()
        throw failed.reason
      }
      row = (
        settled[settled.length - 1] as PromiseFulfilledResult<pg.QueryResult<ResponseRow & pg.QueryResultRow>>
      ).value.rows[0] as ResponseRow
    }
    let result: RestResult
    try {
      result = write.finish(row)
    } catch (error) {
      await abort()
      throw error
    }
    await client.query(options.rollback ? 'ROLLBACK' : 'COMMIT')
    return result
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
