import type { AnyTaskDefinition, Database, TaskName, TaskPayload } from '@groundwork/core'
import { type AddJobOptions, createAdd, type JobRecord, type Queryable } from './add-job'
import { jobsError } from './errors'
import { checkJobNumbers } from './internal/job-numbers'
import type { Matviews } from './matviews'
import type { Schedules } from './schedules'

/** Where a job stands, derived from graphile-worker's columns. */
export type JobState = 'queued' | 'running' | 'scheduled' | 'failed'

/** A job as the admin API shows it. */
export interface JobSummary {
  id: string
  task: string
  queue: string | null
  state: JobState
  priority: number
  runAt: Date
  attempts: number
  maxAttempts: number
  lastError: string | null
  key: string | null
  lockedAt: Date | null
  lockedBy: string | null
  createdAt: Date
  updatedAt: Date
}

/** A page of results. */
export interface Page<T> {
  items: T[]
  total: number
  limit: number
  offset: number
}

/** Filters of {@link JobsApi.listJobs}. */
export interface ListJobsOptions {
  state?: JobState
  task?: string
  queue?: string
  /** @default 50 (max 500) */
  limit?: number
  /** @default 0 */
  offset?: number
}

/** Counts per state. */
export interface JobStats {
  queued: number
  running: number
  scheduled: number
  failed: number
  /** Age in seconds of the oldest job waiting to run (run_at passed, not locked); null when none. */
  oldestQueuedAgeSeconds: number | null
}

/** One attempt in `jobs.runs`. */
export interface RunSummary {
  id: string
  jobId: string
  task: string
  queue: string | null
  payload: unknown
  attempt: number
  maxAttempts: number
  workerId: string | null
  startedAt: Date
  finishedAt: Date
  durationMs: number
  outcome: 'success' | 'failure'
  error: string | null
}

/** Filters of {@link JobsApi.listRuns}. */
export interface ListRunsOptions {
  task?: string
  jobId?: string
  outcome?: 'success' | 'failure'
  /** @default 50 (max 500) */
  limit?: number
  /** @default 0 */
  offset?: number
}

/**
 * The typed surface of `createJobs()` (`jobs.api`): enqueueing typed by the task list, and the
 * admin operations the admin handler is a thin HTTP layer over.
 */
export interface JobsApi<Tasks extends readonly AnyTaskDefinition[] = readonly AnyTaskDefinition[]> {
  /**
   * Enqueues a job for one of `tasks`, payload checked by the task's schema. Pass a transaction
   * (or any {@link Queryable}) first to enqueue inside it: the job exists only if it commits.
   *
   * @example
   * ```ts
   * await db.transaction((tx) => jobs.api.add(tx, 'mail:welcome', { userId }))
   * ```
   */
  add<Name extends TaskName<Tasks>>(
    name: Name,
    payload: TaskPayload<Tasks, Name>,
    options?: AddJobOptions,
  ): Promise<JobRecord>
  add<Name extends TaskName<Tasks>>(
    executor: Queryable,
    name: Name,
    payload: TaskPayload<Tasks, Name>,
    options?: AddJobOptions,
  ): Promise<JobRecord>
  listJobs(options?: ListJobsOptions): Promise<Page<JobSummary>>
  getJob(id: string): Promise<JobSummary | null>
  stats(): Promise<JobStats>
  /** Makes a waiting or failed job run now (a permanently failed one gets one more attempt). */
  retry(id: string): Promise<JobSummary>
  /** Fails a job permanently (graphile-worker `permanently_fail_jobs`); it will not run again. */
  cancel(id: string, reason?: string): Promise<JobSummary>
  /** Changes when (and how) a job runs (graphile-worker `reschedule_jobs`). */
  reschedule(
    id: string,
    changes: { runAt?: Date; priority?: number; maxAttempts?: number; attempts?: number },
  ): Promise<JobSummary>
  listRuns(options?: ListRunsOptions): Promise<Page<RunSummary>>
  /** DB-stored recurring jobs; `schedules.tick(now)` enqueues due ticks (the runner calls it every `scheduleInterval`). */
  readonly schedules: Schedules
  /** Materialized views: register, refresh (optionally on a schedule). */
  readonly matviews: Matviews
}

const STATE_SQL = `case
    when j.locked_at is not null and j.locked_at > now() - interval '4 hours' then 'running'
    when j.attempts >= j.max_attempts then 'failed'
    when j.run_at > now() then 'scheduled'
    else 'queued'
  end`

const JOB_COLUMNS = `j.id::text as id, j.task_identifier, j.queue_name, ${STATE_SQL} as state, j.priority, j.run_at, j.attempts,
  j.max_attempts, j.last_error, j.key, j.locked_at, j.locked_by, j.created_at, j.updated_at`

interface JobRow {
  id: string
  task_identifier: string
  queue_name: string | null
  state: JobState
  priority: number
  run_at: Date
  attempts: number
  max_attempts: number
  last_error: string | null
  key: string | null
  locked_at: Date | null
  locked_by: string | null
  created_at: Date
  updated_at: Date
  total?: number
}

function toJob(row: JobRow): JobSummary {
  return {
    id: row.id,
    task: row.task_identifier,
    queue: row.queue_name,
    state: row.state,
    priority: row.priority,
    runAt: row.run_at,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    lastError: row.last_error,
    key: row.key,
    lockedAt: row.locked_at,
    lockedBy: row.locked_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

const JOB_STATES: readonly JobState[] = ['queued', 'running', 'scheduled', 'failed']

function page(limit: number | undefined, offset: number | undefined): { limit: number; offset: number } {
  const l = limit ?? 50
  const o = offset ?? 0
  if (!Number.isInteger(l) || l < 1 || l > 500)
    throw jobsError('JOBS_INVALID_REQUEST', '`limit` must be an integer from 1 to 500')
  if (!Number.isInteger(o) || o < 0)
    throw jobsError('JOBS_INVALID_REQUEST', '`offset` must be a non-negative integer')
  return { limit: l, offset: o }
}

function jobId(id: string): string {
  if (!/^\d{1,19}$/.test(id))
    throw jobsError('JOBS_INVALID_REQUEST', `Job id "${id}" must be a positive integer`)
  return id
}

/** Builds the API over graphile-worker's public SQL API and schema `jobs`; `add` knows `tasks`. */
export function createJobsApi(
  db: Database,
  tasks: ReadonlyMap<string, AnyTaskDefinition>,
  schedules: Schedules,
  matviews: Matviews,
): JobsApi {
  async function getJob(id: string): Promise<JobSummary | null> {
    const { rows } = await db.query<JobRow>(
      `select ${JOB_COLUMNS} from graphile_worker.jobs j where j.id = $1::bigint`,
      [jobId(id)],
    )
    return rows[0] ? toJob(rows[0]) : null
  }

  /** Explains why a graphile-worker function changed no row: unknown id, or the job is running. */
  async function unchanged(id: string): Promise<never> {
    const job = await getJob(id)
    if (!job) throw jobsError('JOBS_NOT_FOUND', `No job with id ${id}`)
    throw jobsError('JOBS_JOB_LOCKED', `Job ${id} is running; it cannot be changed until its attempt ends`)
  }

  return {
    add: createAdd(db, tasks) as JobsApi['add'],
    schedules,
    matviews,
    getJob,
    async listJobs(options = {}) {
      const { limit, offset } = page(options.limit, options.offset)
      if (options.state !== undefined && !JOB_STATES.includes(options.state)) {
        throw jobsError('JOBS_INVALID_REQUEST', `\`state\` must be one of ${JOB_STATES.join(', ')}`)
      }
      const { rows } = await db.query<JobRow>(
        `select * from (select ${JOB_COLUMNS}, count(*) over () as total from graphile_worker.jobs j
           where ($1::text is null or j.task_identifier = $1) and ($2::text is null or j.queue_name = $2)
             and ($3::text is null or ${STATE_SQL} = $3)
           order by j.id desc limit $4 offset $5) as page`,
        [options.task ?? null, options.queue ?? null, options.state ?? null, limit, offset],
      )
      const total = rows[0] ? Number(rows[0].total) : await countJobs(db, options)
      return { items: rows.map(toJob), total, limit, offset }
    },
    async stats() {
      const { rows } = await db.query<{ state: JobState; n: number; oldest: number | null }>(
        `select ${STATE_SQL} as state, count(*)::int as n,
           extract(epoch from now() - min(j.run_at))::double precision as oldest
         from graphile_worker.jobs j group by 1`,
      )
      const stats: JobStats = { queued: 0, running: 0, scheduled: 0, failed: 0, oldestQueuedAgeSeconds: null }
      for (const row of rows) {
        stats[row.state] = row.n
        if (row.state === 'queued' && row.oldest !== null)
          stats.oldestQueuedAgeSeconds = Math.max(0, Math.round(row.oldest))
      }
      return stats
    },
    async retry(id) {
      const { rows } = await db.query<{ id: string }>(
        `select r.id::text as id from graphile_worker.jobs j,
           graphile_worker.reschedule_jobs(array[j.id], run_at => now(),
             attempts => case when j.attempts >= j.max_attempts then j.max_attempts - 1 else j.attempts end) r
         where j.id = $1::bigint`,
        [jobId(id)],
      )
      if (!rows[0]) return unchanged(id)
      return (await getJob(id)) as JobSummary
    },
    async cancel(id, reason) {
      const { rows } = await db.query<{ id: string }>(
        'select id::text as id from graphile_worker.permanently_fail_jobs(array[$1::bigint], $2::text)',
        [jobId(id), reason ?? 'Cancelled by an administrator'],
      )
      if (!rows[0]) return unchanged(id)
      return (await getJob(id)) as JobSummary
    },
    async reschedule(id, changes) {
      checkJobNumbers(changes, 'Job')
      const { rows } = await db.query<{ id: string }>(
        `select id::text as id from graphile_worker.reschedule_jobs(array[$1::bigint], run_at => $2::timestamptz,
           priority => $3::int, attempts => $4::int, max_attempts => $5::int)`,
        [
          jobId(id),
          changes.runAt ?? null,
          changes.priority ?? null,
          changes.attempts ?? null,
          changes.maxAttempts ?? null,
        ],
      )
      if (!rows[0]) return unchanged(id)
      return (await getJob(id)) as JobSummary
    },
    async listRuns(options = {}) {
      const { limit, offset } = page(options.limit, options.offset)
      const { rows } = await db.query(
        `select id::text as id, job_id::text as job_id, task, queue, payload, attempt, max_attempts, worker_id, started_at,
           finished_at, duration_ms, outcome, error, count(*) over () as total
         from jobs.runs
         where ($1::text is null or task = $1) and ($2::bigint is null or job_id = $2) and ($3::text is null or outcome = $3)
         order by id desc limit $4 offset $5`,
        [
          options.task ?? null,
          options.jobId ? jobId(options.jobId) : null,
          options.outcome ?? null,
          limit,
          offset,
        ],
      )
      const items: RunSummary[] = rows.map((row) => ({
        id: row.id,
        jobId: row.job_id,
        task: row.task,
        queue: row.queue,
        payload: row.payload,
        attempt: row.attempt,
        maxAttempts: row.max_attempts,
        workerId: row.worker_id,
        startedAt: row.started_at,
        finishedAt: row.finished_at,
        durationMs: row.duration_ms,
        outcome: row.outcome,
        error: row.error,
      }))
      return { items, total: rows[0] ? Number(rows[0].total) : 0, limit, offset }
    },
  }
}

async function countJobs(db: Database, options: ListJobsOptions): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from graphile_worker.jobs j
     where ($1::text is null or j.task_identifier = $1) and ($2::text is null or j.queue_name = $2)
       and ($3::text is null or ${STATE_SQL} = $3)`,
    [options.task ?? null, options.queue ?? null, options.state ?? null],
  )
  return rows[0]?.n ?? 0
}
