import { hostname } from 'node:os'
import type { Database, Logger } from '@groundwork/core'
import { errorText } from './task-list'

/**
 * Records, every `interval` ms, that this instance's graphile-worker workers are alive
 * (`jobs.workers.last_seen`), and sweeps workers of any instance whose heartbeat is older than
 * `staleAfter`: their locked jobs are unlocked with `graphile_worker.force_unlock_workers` so
 * they are retried now rather than after graphile-worker's 4-hour lock expiry.
 */
export class Heartbeat {
  readonly #db: Database
  readonly #logger: Logger
  readonly #instanceId: string
  readonly #staleAfter: number
  readonly #recordHistory: boolean
  readonly #ids = new Set<string>()

  constructor(
    db: Database,
    logger: Logger,
    options: { instanceId: string; staleAfter: number; history: boolean },
  ) {
    this.#db = db
    this.#logger = logger
    this.#instanceId = options.instanceId
    this.#staleAfter = options.staleAfter
    this.#recordHistory = options.history
  }

  /** Starts reporting a worker (or worker pool) id. */
  async add(workerId: string): Promise<void> {
    this.#ids.add(workerId)
    await this.beat([workerId])
  }

  /** Stops reporting a worker id and forgets its row (it stopped cleanly). */
  async remove(workerId: string): Promise<void> {
    this.#ids.delete(workerId)
    await this.#db.query('delete from jobs.workers where worker_id = $1', [workerId])
  }

  /** Upserts `last_seen = now()` for the given ids (default: every id this instance reports). */
  async beat(ids: readonly string[] = [...this.#ids]): Promise<void> {
    if (ids.length === 0) return
    await this.#db.query(
      `insert into jobs.workers (worker_id, instance_id, hostname, pid)
       select id, $2, $3, $4 from unnest($1::text[]) as id
       on conflict (worker_id) do update set last_seen = now(), instance_id = excluded.instance_id`,
      [ids, this.#instanceId, hostname(), process.pid],
    )
  }

  /**
   * Finds workers with a stale heartbeat, records their in-flight attempts as failed, unlocks their
   * jobs and forgets them: one transaction, so concurrent sweepers recover each worker once.
   * Returns the recovered worker ids.
   */
  async sweep(): Promise<string[]> {
    return this.#db.transaction(async (tx) => {
      const stale = await tx.query<{ worker_id: string }>(
        `delete from jobs.workers
         where worker_id in (
           select worker_id from jobs.workers
           where last_seen < now() - make_interval(secs => $1::double precision / 1000)
             and not (worker_id = any($2::text[]))
           for update skip locked)
         returning worker_id`,
        [this.#staleAfter, [...this.#ids]],
      )
      const ids = stale.rows.map((row) => row.worker_id)
      if (ids.length === 0) return ids
      if (this.#recordHistory) {
        await tx.query(
          `insert into jobs.runs (job_id, task, queue, payload, attempt, max_attempts, worker_id, started_at, finished_at, duration_ms, outcome, error)
           select id, task_identifier, queue_name, null, attempts, max_attempts, locked_by, locked_at, now(),
             (extract(epoch from now() - locked_at) * 1000)::integer, 'failure', $2
           from graphile_worker.jobs where locked_by = any($1::text[])`,
          [ids, 'worker stopped heartbeating; job unlocked for retry'],
        )
      }
      await tx.query('select graphile_worker.force_unlock_workers($1::text[])', [ids])
      this.#logger.warn(`groundwork jobs: recovered jobs of dead worker(s) ${ids.join(', ')}`)
      return ids
    })
  }

  /** One heartbeat + sweep, errors logged (a dropped connection must not crash the host). */
  async tick(): Promise<void> {
    try {
      await this.beat()
      await this.sweep()
    } catch (error) {
      this.#logger.error(`groundwork jobs: heartbeat failed: ${errorText(error)}`)
    }
  }

  /** Forgets every id this instance reported (on a clean stop). */
  async clear(): Promise<void> {
    const ids = [...this.#ids]
    this.#ids.clear()
    if (ids.length > 0)
      await this.#db.query('delete from jobs.workers where worker_id = any($1::text[])', [ids])
  }
}
