import type pg from 'pg'
import { GroundworkError } from './errors'

/** What {@link cancelOnAbort} hands back while a statement runs. */
export interface AbortWatch {
  /** True once the signal aborted while the connection was held. */
  readonly aborted: boolean
  /**
   * Stops watching. When `aborted`, release the connection with an error (destroy it): the
   * transaction was cut short, and the session must not serve another request.
   */
  done(): void
}

/** node-postgres internals the cancel request needs (present since pg 7, not in its types). */
type CancellableClient = pg.PoolClient & {
  activeQuery?: unknown
  processID?: number
  secretKey?: number
}
type CancelSender = {
  cancel(target: pg.PoolClient, query: unknown): void
  connection: { on(e: string, f: () => void): void }
}

/**
 * Cancels the statement running on `client` when `signal` aborts (the HTTP client went away), so
 * an abandoned request stops using a Postgres backend at once instead of running to the end (or to
 * its `statement_timeout`).
 *
 * The cancel is Postgres' own CancelRequest (the protocol message `psql` sends on Ctrl-C), sent by
 * node-postgres on a fresh socket with the session's process id and secret key — not
 * `pg_cancel_backend` on another pooled connection: that would need a free connection from the
 * very pool the aborted requests are holding (with all of them aborted at once, the pool deadlocked
 * waiting for itself), and behind a pooler such as PgBouncer the process id is not the backend's.
 * The secret key means a late cancel can never hit another session.
 *
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-CANCELING-REQUESTS
 */
export function cancelOnAbort(
  pool: pg.Pool,
  client: pg.PoolClient,
  signal: AbortSignal | undefined,
): AbortWatch {
  const watch: Watch = {
    aborted: false,
    signal,
    cancel() {
      if (watch.aborted) return
      watch.aborted = true
      sendCancel(pool, client)
    },
    done() {
      watched.delete(watch)
      if (watched.size === 0 && sweeper) {
        clearInterval(sweeper)
        sweeper = null
      }
    },
  }
  if (signal?.aborted) watch.cancel()
  else if (signal) {
    watched.add(watch)
    sweeper ??= setInterval(sweep, SWEEP_MS).unref()
  }
  return watch
}

/**
 * How often watched requests are checked for an aborted signal. Why not an `abort` listener per
 * request: on Node's AbortSignal that cost ~15 µs of CPU per request (measured on REST's GET by
 * primary key, ~12% of it), for the rare request whose client leaves; one shared sweep costs
 * nothing per request and cancels within this delay.
 */
const SWEEP_MS = 100

interface Watch extends AbortWatch {
  aborted: boolean
  readonly signal: AbortSignal | undefined
  cancel(): void
}

const watched = new Set<Watch>()
let sweeper: NodeJS.Timeout | null = null

function sweep(): void {
  for (const watch of watched) if (watch.signal?.aborted) watch.cancel()
}

function sendCancel(pool: pg.Pool, client: pg.PoolClient): void {
  const target = client as CancellableClient
  if (target.activeQuery === undefined || target.activeQuery === null) return
  try {
    // The target's own Client class (the same copy of pg), configured like the pool's connections.
    const Client = target.constructor as new (config: unknown) => CancelSender
    const sender = new Client((pool as pg.Pool & { options?: unknown }).options ?? {})
    // The server answers a CancelRequest by closing the socket; nothing else can go wrong usefully.
    sender.connection.on('error', () => {})
    sender.cancel(client, target.activeQuery)
  } catch {
    // Best effort: the connection is discarded anyway.
  }
}

/** The error of a request whose client went away before it ran (499, as proxies log it). */
export function requestAborted(): GroundworkError {
  return new GroundworkError('CORE_REQUEST_ABORTED', 'The client went away', { status: 499 })
}
