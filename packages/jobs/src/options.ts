import type { AnyTaskDefinition, Authenticate, Database, Logger, OnError } from '@groundwork/core'
import {
  basePathOption,
  DEFAULT_MAX_JSON_DEPTH,
  databaseOption,
  functionOption,
  maxBodyBytesOption,
  optionsSchema,
} from '@groundwork/core/kit'
import { z } from 'zod'

/** Options for {@link createJobs}. */
export interface JobsOptions<Tasks extends readonly AnyTaskDefinition[] = readonly AnyTaskDefinition[]> {
  /** The core database; graphile-worker runs on `db.pool`. Required. */
  db: Database
  /** Task definitions from {@link defineTask}; `add()` is typed by them. @default [] */
  tasks?: Tasks
  /** Jobs this instance runs at once. @default 5 */
  concurrency?: number
  /** How often (ms) idle workers poll for future-dated or retried jobs (new jobs arrive by LISTEN/NOTIFY). @default 2000 */
  pollInterval?: number
  /** Where runner, scheduler and sweeper messages go. @default db.logger */
  logger?: Logger
  /** How often (ms) this instance records its workers' heartbeats and sweeps dead workers. @default 5000 */
  heartbeatInterval?: number
  /** A worker whose heartbeat is older than this (ms) is dead: its locked jobs are unlocked and retried. Must exceed `heartbeatInterval`. @default 30000 */
  staleAfter?: number
  /** How often (ms) this instance checks `jobs.schedules` for due ticks. @default 10000 */
  scheduleInterval?: number
  /** Run history rows older than this (ms) are pruned daily by a built-in schedule. @default 30 days */
  historyRetention?: number
  /** Record every attempt in `jobs.runs`. @default true */
  history?: boolean
  /** On `close()`, how long (ms) running jobs may finish before their `ctx.signal` is aborted. @default 10000 */
  shutdownTimeout?: number
  /** Identifies this process in `jobs.workers`. @default a random id */
  instanceId?: string
  /** Resolves the caller of an admin request; only the service role is let in. Without it the admin handler answers 403. @default none (admin API closed) */
  authenticate?: Authenticate
  /** Receives errors the admin handler could not map (it answers a generic 500). @default none */
  onError?: OnError
  /** Stripped from request paths before admin routing, for frameworks that hand over the full URL (Next.js). @default '' */
  basePath?: string
  /** Largest admin request body read, in bytes; a longer one is refused with 413 `HTTP_PAYLOAD_TOO_LARGE` while streaming. @default 65536 (64 KiB) */
  maxBodyBytes?: number
  /** Deepest JSON nesting an admin request body may have (400 `HTTP_JSON_TOO_DEEP` past it). @default 128 */
  maxJsonDepth?: number
}

const positiveInt = z.number().int().positive()

/** Default {@link JobsOptions.maxBodyBytes}: admin bodies are small JSON documents. */
export const DEFAULT_JOBS_MAX_BODY_BYTES = 64 * 1024

const taskOption = z.custom<AnyTaskDefinition>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AnyTaskDefinition).name === 'string' &&
    typeof (value as AnyTaskDefinition).run === 'function',
  'must be a task from defineTask()',
)

/** The zod schema {@link JobsOptions} is validated with. */
export const jobsOptionsSchema = optionsSchema<JobsOptions>()(
  z
    .object({
      db: databaseOption,
      tasks: z
        .array(taskOption)
        .readonly()
        .default([])
        .refine(
          (tasks) => new Set(tasks.map((task) => task.name)).size === tasks.length,
          'task names must be unique',
        ),
      concurrency: positiveInt.max(1000).default(5),
      pollInterval: positiveInt.default(2000),
      logger: z.custom<Logger>((value) => typeof value === 'object' && value !== null).optional(),
      heartbeatInterval: positiveInt.default(5000),
      staleAfter: positiveInt.default(30_000),
      scheduleInterval: positiveInt.default(10_000),
      historyRetention: positiveInt.default(30 * 24 * 3600 * 1000),
      history: z.boolean().default(true),
      shutdownTimeout: z.number().int().nonnegative().default(10_000),
      instanceId: z.string().min(1).max(200).optional(),
      authenticate: functionOption<Authenticate>().optional(),
      onError: functionOption<OnError>().optional(),
      basePath: basePathOption,
      maxBodyBytes: maxBodyBytesOption(DEFAULT_JOBS_MAX_BODY_BYTES),
      maxJsonDepth: positiveInt.max(100_000).default(DEFAULT_MAX_JSON_DEPTH),
    })
    .refine((o) => o.staleAfter > o.heartbeatInterval, {
      message: 'must be greater than heartbeatInterval',
      path: ['staleAfter'],
    }),
)

/** {@link JobsOptions} after validation and defaults. */
export type ResolvedJobsOptions = z.output<typeof jobsOptionsSchema>
