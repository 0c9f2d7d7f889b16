import type { AnyTaskDefinition, Logger, TaskContext } from '@groundwork/core'
import type { JobHelpers, Task, TaskList } from 'graphile-worker'
import { jobsError } from '../errors'
import type { HistoryWriter } from './history'

/** What a wrapped task needs from its runner. */
export interface TaskListDeps {
  logger: Logger
  history: HistoryWriter | null
  /** Aborted by `stop()` once its drain timeout passes (graphile-worker's own signal is combined with it). */
  stopSignal: AbortSignal
}

/**
 * Builds graphile-worker's `taskList` from task definitions: each executor validates the payload
 * with the task's zod schema (an invalid payload fails the job permanently: retrying cannot fix
 * it), runs the task with a {@link TaskContext}, and records the attempt in the run history.
 */
export function buildTaskList(tasks: readonly AnyTaskDefinition[], deps: TaskListDeps): TaskList {
  const list: TaskList = {}
  for (const task of tasks) list[task.name] = wrapTask(task, deps)
  return list
}

function wrapTask(task: AnyTaskDefinition, deps: TaskListDeps): Task {
  return async (payload: unknown, helpers: JobHelpers) => {
    const { job } = helpers
    const startedAt = new Date()
    const started = performance.now()
    let error: unknown = null
    try {
      const parsed = task.schema.safeParse(payload)
      if (!parsed.success) {
        // graphile-worker has no "do not retry" signal; capping max_attempts at this attempt makes
        // its fail_job mark the job permanently failed. The row is ours while we hold its lock.
        await helpers.query(
          'update graphile_worker._private_jobs set max_attempts = attempts where id = $1 and locked_by is not null',
          [job.id],
        )
        throw jobsError(
          'JOBS_INVALID_PAYLOAD',
          `Invalid payload for task "${task.name}" (not retried): ${parsed.error.issues
            .slice(0, 5)
            .map(
              (issue: { path: PropertyKey[]; message: string }) =>
                `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`,
            )
            .join('; ')}`,
        )
      }
      let signal: AbortSignal | undefined
      const ctx: TaskContext = {
        job: {
          id: String(job.id),
          task: task.name,
          attempt: job.attempts,
          maxAttempts: job.max_attempts,
          key: job.key,
          runAt: job.run_at,
          createdAt: job.created_at,
        },
        // Combined on first use only: most tasks never look at it, and this runs per job.
        get signal() {
          signal ??= AbortSignal.any([helpers.abortSignal, deps.stopSignal])
          return signal
        },
        logger: deps.logger,
        helpers,
      }
      await task.run(parsed.data, ctx)
    } catch (thrown) {
      error = thrown
      throw thrown
    } finally {
      const finishedAt = new Date()
      const queue = deps.history && job.job_queue_id !== null ? await queueName(helpers) : null
      deps.history?.record({
        job_id: String(job.id),
        task: task.name,
        queue,
        payload: task.recordPayload === false ? null : payload,
        attempt: job.attempts,
        max_attempts: error && isInvalidPayload(error) ? job.attempts : job.max_attempts,
        worker_id: job.locked_by,
        started_at: startedAt.toISOString(),
        finished_at: finishedAt.toISOString(),
        duration_ms: Math.round(performance.now() - started),
        outcome: error ? 'failure' : 'success',
        error: error ? errorText(error) : null,
      })
    }
  }
}

async function queueName(helpers: JobHelpers): Promise<string | null> {
  try {
    return await helpers.getQueueName()
  } catch {
    return null
  }
}

function isInvalidPayload(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'JOBS_INVALID_PAYLOAD'
}

/** A failure's message for the history (first line of the stack's message, capped). */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text
}
