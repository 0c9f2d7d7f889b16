import type pg from 'pg'

/** What {@link cancelOnAbort} hands back while a statement runs. */
export interface AbortWatch {
  /** True once the signal aborted while the connection was held. */
  readonly aborted: boolean
  /**
   * Stops watching; waits for a cancel already sent. When `aborted`, release the connection with
   * an error (destroy it): a cancel that lands late must never hit the next user's query.
   */
  done(): Promise<void>
}

/**
 * Cancels the statement running on `client` when `signal` aborts (the HTTP client went away), with
 * `pg_cancel_backend` sent on another pooled connection — so an abandoned request stops using a
 * Postgres backend at once instead of running to the end (or to its `statement_timeout`).
 *
 * @see https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADMIN-SIGNAL
 */
export function cancelOnAbort(
  pool: pg.Pool,
  client: pg.PoolClient,
  signal: AbortSignal | undefined,
): AbortWatch {
  let cancel: Promise<unknown> | null = null
  const pid = (client as { processID?: number }).processID
  const onAbort = () => {
    if (cancel || typeof pid !== 'number') return
    cancel = pool.query('select pg_cancel_backend($1)', [pid]).catch(() => {})
  }
  if (signal?.aborted) onAbort()
  else signal?.addEventListener('abort', onAbort, { once: true })
  return {
    get aborted() {
      return cancel !== null
    },
    async done() {
      signal?.removeEventListener('abort', onAbort)
      if (cancel) await cancel
    },
  }
}
