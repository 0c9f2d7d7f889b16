import type { AnyTaskDefinition } from '@groundwork/core'
import type { z } from 'zod'
import { jobsError } from './errors'
import { checkJobNumbers } from './internal/job-numbers'

/**
 * Anything that runs a parameterised query: a core `Database`, a core `Transaction`, a `pg.Pool`
 * or a `pg.PoolClient`. Pass the caller's transaction to enqueue atomically with its writes.
 */
export interface Queryable {
  // biome-ignore lint/suspicious/noExplicitAny: pg's and core's result row types differ; we only read our own columns.
  query(text: string, values?: unknown[]): Promise<{ rows: any[] }>
}

/** How a job is enqueued (graphile-worker's `add_job` arguments). */
export interface AddJobOptions {
  /** Run no earlier than this. @default now */
  runAt?: Date
  /** A named queue: jobs in one queue run one at a time, in order. Keep the number of queue names small. @default none (parallel) */
  queue?: string
  /** A unique key: adding again with the same key updates the pending job instead of adding another. */
  jobKey?: string
  /**
   * `replace` updates every attribute of the pending job, `preserve_run_at` all but `run_at`,
   * `unsafe_dedupe` adds nothing when any job (even running or failed) has the key.
   * @default 'replace'
   */
  jobKeyMode?: 'replace' | 'preserve_run_at' | 'unsafe_dedupe'
  /** Lower runs first. @default 0 */
  priority?: number
  /** Attempts before the job fails permanently. @default the task's `maxAttempts`, else 25 */
  maxAttempts?: number
  /** graphile-worker flags (runners can be told to skip jobs with some flags). */
  flags?: string[]
}

/** A job as stored by graphile-worker, as returned by {@link addJob}. */
export interface JobRecord {
  /** graphile-worker job id (a bigint as a string). */
  id: string
  task: string
  payload: unknown
  queue: string | null
  runAt: Date
  priority: number
  attempts: number
  maxAttempts: number
  key: string | null
  createdAt: Date
}

const ADD_JOB_SQL = `select j.id::text as id, j.payload, j.run_at, j.priority, j.attempts, j.max_attempts, j.key, j.created_at
  from graphile_worker.add_job(identifier => $1::text, payload => $2::json, queue_name => $3::text, run_at => $4::timestamptz,
    max_attempts => $5::int, job_key => $6::text, priority => $7::int, flags => $8::text[], job_key_mode => $9::text) as j`

/**
 * Enqueues a job with `graphile_worker.add_job(...)`, on whatever `executor` is: run it on the
 * caller's transaction and the job exists only if that transaction commits (the transactional
 * outbox): a rolled-back sign-up never sends its mail.
 *
 * Pass a task definition instead of a name to have the payload type-checked and validated by the
 * task's schema before it is stored (invalid → `JOBS_INVALID_PAYLOAD`).
 *
 * @example
 * ```ts
 * await db.transaction(async (tx) => {
 *   const { rows } = await tx.query('insert into users (email) values ($1) returning id', [email])
 *   await addJob(tx, sendWelcome, { userId: rows[0].id })
 * })
 * ```
 * @see https://worker.graphile.org/docs/sql-add-job
 */
export async function addJob<Task extends AnyTaskDefinition>(
  executor: Queryable,
  task: Task,
  payload: z.input<Task['schema']>,
  options?: AddJobOptions,
): Promise<JobRecord>
export async function addJob(
  executor: Queryable,
  task: string,
  payload: unknown,
  options?: AddJobOptions,
): Promise<JobRecord>
export async function addJob(
  executor: Queryable,
  task: string | AnyTaskDefinition,
  payload: unknown,
  options: AddJobOptions = {},
): Promise<JobRecord> {
  let name: string
  let value = payload
  let maxAttempts = options.maxAttempts
  if (typeof task === 'string') {
    name = task
  } else {
    name = task.name
    value = validatePayload(task, payload)
    maxAttempts ??= task.maxAttempts
  }
  checkJobNumbers({ priority: options.priority, maxAttempts }, 'Job')
  const { rows } = await executor.query(ADD_JOB_SQL, [
    name,
    JSON.stringify(value ?? {}),
    options.queue ?? null,
    options.runAt ?? null,
    maxAttempts ?? null,
    options.jobKey ?? null,
    options.priority ?? null,
    options.flags ?? null,
    options.jobKeyMode ?? 'replace',
  ])
  const row = rows[0]
  if (!row || row.id === null) {
    // add_job returns an all-null row when a job with this key is running and the mode keeps it.
    throw jobsError(
      'JOBS_ENQUEUE_FAILED',
      `Job "${name}" was not enqueued (job key ${options.jobKey ?? 'none'} is held by a running job)`,
    )
  }
  return {
    id: row.id,
    task: name,
    payload: row.payload,
    queue: options.queue ?? null,
    runAt: row.run_at,
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    key: row.key,
    createdAt: row.created_at,
  }
}

/** Parses `payload` with the task's schema; a mismatch is a `JOBS_INVALID_PAYLOAD` error listing the issues. */
export function validatePayload(task: AnyTaskDefinition, payload: unknown): unknown {
  const result = task.schema.safeParse(payload)
  if (result.success) return result.data
  throw jobsError(
    'JOBS_INVALID_PAYLOAD',
    `Invalid payload for task "${task.name}": ${summarizeIssues(result.error)}`,
    {
      details: result.error.issues.map((issue: z.core.$ZodIssue) => ({
        path: issue.path.map(String).join('.'),
        message: issue.message,
      })),
    },
  )
}

function summarizeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
    .join('; ')
}

/**
 * The `add` of `jobs.api`: looks the task up by name among `tasks` (unknown → `JOBS_UNKNOWN_TASK`)
 * and enqueues with {@link addJob} on `executor` (the first argument when it is not a name) or
 * `db`, so the payload is validated by the task's schema and stored with its defaults applied.
 */
export function createAdd(db: Queryable, tasks: ReadonlyMap<string, AnyTaskDefinition>) {
  return (...args: unknown[]): Promise<JobRecord> => {
    const [executor, rest] = typeof args[0] === 'string' ? [db, args] : [args[0] as Queryable, args.slice(1)]
    const [name, payload, options] = rest as [string, unknown, AddJobOptions | undefined]
    const task = tasks.get(name)
    if (!task) {
      return Promise.reject(
        jobsError('JOBS_UNKNOWN_TASK', `No task named "${name}" was given to createJobs()`, {
          hint: `Known tasks: ${[...tasks.keys()].join(', ') || '(none)'}`,
        }),
      )
    }
    return addJob(executor, task, payload as never, options)
  }
}
