import type { z } from 'zod'
import { ConfigError } from './errors'
import type { Logger } from './logger'

/** What a task's `run` receives besides its payload. */
export interface TaskContext {
  /** The job being run (graphile-worker's row, trimmed to what tasks need). */
  readonly job: {
    /** graphile-worker job id (a bigint as a string). */
    readonly id: string
    /** The task name. */
    readonly task: string
    /** This attempt's number: 1 on the first run, `maxAttempts` on the last. */
    readonly attempt: number
    readonly maxAttempts: number
    /** The job key, when it was added with one (scheduled jobs: `schedule:<name>:<tick ISO>`). */
    readonly key: string | null
    readonly runAt: Date
    readonly createdAt: Date
  }
  /** Aborted when the runner is stopping and the drain timeout has passed: stop work and throw. */
  readonly signal: AbortSignal
  /** The jobs runner's logger, scoped to this job. */
  readonly logger: Logger
  /**
   * The runner's own helpers: graphile-worker's `JobHelpers` (`withPgClient`, `addJob`, `query`…)
   * when `@groundwork/jobs` runs the task (typed there as `JobsTaskContext`).
   */
  readonly helpers: unknown
}

/**
 * A typed task: a name, a zod schema for its payload, and the function that runs it. The one
 * structural task type of Groundwork: packages contribute tasks (`service.tasks`) without depending
 * on the runner, and `@groundwork/jobs` runs them. Names are `<package>:<task>` (`auth:cleanup`).
 */
export interface TaskDefinition<Name extends string = string, Schema extends z.ZodType = z.ZodType> {
  /** The graphile-worker task identifier jobs are added under. */
  readonly name: Name
  /** Validates the payload when a job is added through a typed API and again before `run`. */
  readonly schema: Schema
  /** Runs one attempt. Throwing fails the attempt (retried with exponential backoff until `maxAttempts`). */
  readonly run: (payload: z.output<Schema>, ctx: TaskContext) => Promise<void> | void
  /** Default attempts for jobs of this task (an `addJob` option overrides it). @default 25 (graphile-worker's) */
  readonly maxAttempts?: number
  /** Store the payload in the run history (`jobs.runs`); turn off for payloads carrying secrets (tokens, links). @default true */
  readonly recordPayload?: boolean
  /**
   * Let the runner's log lines carry this task's payloads (graphile-worker's "Completed task" /
   * "Failed task" metadata). Off, the payload is dropped from every log line; turn on only for
   * payloads with no secrets. @default false
   */
  readonly logPayload?: boolean
}

// biome-ignore lint/suspicious/noExplicitAny: a list of tasks with heterogeneous schemas.
export type AnyTaskDefinition = TaskDefinition<string, any>

/** The names of a task list. */
export type TaskName<Tasks extends readonly AnyTaskDefinition[]> = Tasks[number]['name']

/** The payload (zod input type) of the task named `Name` in a task list. */
export type TaskPayload<Tasks extends readonly AnyTaskDefinition[], Name extends TaskName<Tasks>> = z.input<
  Extract<Tasks[number], { name: Name }>['schema']
>

const TASK_NAME = /^[A-Za-z0-9_:.\-/]{1,200}$/

/**
 * Defines a typed task. The result is plain data: pass it to `createJobs({ tasks: [...] })` to run
 * it, and to `addJob(executor, task, payload)` to enqueue it with a checked payload.
 *
 * @example
 * ```ts
 * export const sendWelcome = defineTask({
 *   name: 'mail:welcome',
 *   schema: z.object({ userId: z.string().uuid() }),
 *   maxAttempts: 10,
 *   async run({ userId }, ctx) {
 *     ctx.logger.info(`welcoming ${userId}`)
 *   },
 * })
 * ```
 * @see https://worker.graphile.org/docs/tasks
 */
export function defineTask<const Name extends string, Schema extends z.ZodType>(
  definition: TaskDefinition<Name, Schema>,
): TaskDefinition<Name, Schema> {
  if (!TASK_NAME.test(definition.name)) {
    throw new ConfigError(
      'defineTask.name',
      `"${definition.name}" must be 1-200 characters of A-Z a-z 0-9 _ : . - /`,
    )
  }
  if (
    definition.maxAttempts !== undefined &&
    (!Number.isInteger(definition.maxAttempts) || definition.maxAttempts < 1)
  ) {
    throw new ConfigError('defineTask.maxAttempts', `must be a positive integer (task "${definition.name}")`)
  }
  return Object.freeze({ ...definition })
}
