import type { Logger } from '@groundwork/core'
import type { Queryable } from '../add-job'
import { errorText } from './task-list'

/** One finished attempt, as stored in `jobs.runs`. */
export interface RunRecord {
  job_id: string
  task: string
  queue: string | null
  payload: unknown
  attempt: number
  max_attempts: number
  worker_id: string | null
  started_at: string
  finished_at: string
  duration_ms: number
  outcome: 'success' | 'failure'
  error: string | null
}

const INSERT_RUNS_SQL = `insert into jobs.runs
  (job_id, task, queue, payload, attempt, max_attempts, worker_id, started_at, finished_at, duration_ms, outcome, error)
  select job_id, task, queue, payload, attempt, max_attempts, worker_id, started_at, finished_at, duration_ms, outcome, error
  from json_to_recordset($1::json) as r(job_id bigint, task text, queue text, payload jsonb, attempt integer,
    max_attempts integer, worker_id text, started_at timestamptz, finished_at timestamptz, duration_ms integer,
    outcome text, error text)`

/** Inserts run records in one statement. */
export async function insertRuns(executor: Queryable, records: readonly RunRecord[]): Promise<void> {
  if (records.length === 0) return
  await executor.query(INSERT_RUNS_SQL, [JSON.stringify(records)])
}

/**
 * Buffers run records and writes them in batches (one INSERT per `flushInterval` (1 s) or `maxBatch`
 * rows), so history costs a fraction of a query per job instead of one or two. Records still in
 * the buffer when the process dies are lost; `close()` flushes them on a graceful stop.
 */
export class HistoryWriter {
  readonly #db: Queryable
  readonly #logger: Logger
  readonly #flushInterval: number
  readonly #maxBatch: number
  #buffer: RunRecord[] = []
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> = Promise.resolve()

  constructor(db: Queryable, logger: Logger, options: { flushInterval?: number; maxBatch?: number } = {}) {
    this.#db = db
    this.#logger = logger
    this.#flushInterval = options.flushInterval ?? 1000
    this.#maxBatch = options.maxBatch ?? 500
  }

  record(run: RunRecord): void {
    this.#buffer.push(run)
    if (this.#buffer.length >= this.#maxBatch) {
      void this.flush()
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), this.#flushInterval)
      this.#timer.unref()
    }
  }

  /** Writes everything buffered so far; resolves when it is stored (errors are logged, not thrown). */
  flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer)
      this.#timer = undefined
    }
    const batch = this.#buffer
    this.#buffer = []
    this.#flushing = this.#flushing.then(async () => {
      if (batch.length === 0) return
      try {
        await insertRuns(this.#db, batch)
      } catch (error) {
        // The message only: a driver error's `detail` can quote the failing row, payload included.
        this.#logger.error(
          `groundwork jobs: could not record ${batch.length} run(s) in jobs.runs: ${errorText(error)}`,
        )
      }
    })
    return this.#flushing
  }

  async close(): Promise<void> {
    await this.flush()
  }
}
