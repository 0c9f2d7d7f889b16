import { randomUUID } from 'node:crypto'
import type {
  AnyTaskDefinition,
  Database,
  GroundworkService,
  Logger,
  MigrationSet,
  ServiceHandler,
} from '@groundwork/core'
import { parseOptions } from '@groundwork/core/kit'
import type { Runner, WorkerEvents } from 'graphile-worker'
import type pg from 'pg'
import { createJobsApi, type JobsApi } from './api'
import { jobsError } from './errors'
import { createJobsHandler } from './handler'
import { builtinTasks, PRUNE_RUNS_SCHEDULE } from './internal/builtin-tasks'
import { Heartbeat } from './internal/heartbeat'
import { HistoryWriter } from './internal/history'
import { createWorkerEvents, startRunner } from './internal/runner'
import { buildTaskList, errorText } from './internal/task-list'
import { logsPayload } from './internal/worker-logger'
import { createMatviews } from './matviews'
import { migrations } from './migrations'
import { type JobsOptions, jobsOptionsSchema } from './options'
import { createSchedules } from './schedules'

/** graphile-worker's typed event emitter (`jobs.events`). @see https://worker.graphile.org/docs/worker-events */
export type { WorkerEvents }

/** Options of {@link Jobs.close}. */
export interface CloseOptions {
  /** Override `shutdownTimeout` for this close: ms to let running jobs finish before aborting their signal. */
  timeout?: number
}

/** What {@link createJobs} returns: a `GroundworkService` whose `api` is typed by `tasks`. */
export interface Jobs<Tasks extends readonly AnyTaskDefinition[] = readonly AnyTaskDefinition[]>
  extends GroundworkService<JobsApi<Tasks>> {
  readonly name: 'jobs'
  /**
   * Enqueueing (`api.add`, typed by `tasks`) and the admin surface (jobs, stats,
   * retry/cancel/reschedule, `schedules`, runs, `matviews`).
   */
  readonly api: JobsApi<Tasks>
  /** The admin HTTP handler over `api` (service role only). */
  readonly handler: ServiceHandler
  /** The `jobs` MigrationSet (graphile-worker's schema + schema `jobs`). */
  readonly migrations: MigrationSet
  /**
   * Tasks jobs contributes to other runners: none. Its built-in tasks (`jobs:prune-runs`,
   * `jobs:refresh-matview`) are registered by this runner itself.
   */
  readonly tasks: readonly []
  /** Starts running jobs (and the heartbeat, sweeper and scheduler). Idempotent. */
  start(): Promise<void>
  /**
   * Stops taking jobs, lets running ones finish up to the timeout, then aborts their `ctx.signal`.
   * Idempotent; the `Database` stays open.
   */
  close(options?: CloseOptions): Promise<void>
  /** True between `start()` and `close()`. */
  readonly running: boolean
  /** graphile-worker's events (`job:start`, `job:success`, `job:error`, `job:failed`, `worker:create`, …). */
  readonly events: WorkerEvents
  /** This instance's id in `jobs.workers`. */
  readonly instanceId: string
  /** Recovers the jobs of workers whose heartbeat is stale, now (the runner does it every `heartbeatInterval`). */
  sweep(): Promise<string[]>
}

/**
 * Creates the jobs service: typed enqueueing, a graphile-worker runner on the core pool, run
 * history, dead-worker recovery.
 *
 * @example
 * ```ts
 * const jobs = createJobs({ db, tasks: [sendWelcome] })
 * await migrate(db, [coreMigrations, jobs.migrations])
 * await jobs.start()
 * await db.transaction((tx) => jobs.api.add(tx, 'mail:welcome', { userId }))
 * process.on('SIGTERM', () => jobs.close())
 * ```
 * @see https://worker.graphile.org/docs/library/run
 */
export function createJobs<const Tasks extends readonly AnyTaskDefinition[]>(
  options: JobsOptions<Tasks>,
): Jobs<Tasks> {
  const resolved = parseOptions(jobsOptionsSchema, options, 'createJobs')
  const db = resolved.db
  const logger = resolved.logger ?? db.logger
  const instanceId = resolved.instanceId ?? `gw-${randomUUID()}`
  const tasks = new Map<string, AnyTaskDefinition>(resolved.tasks.map((task) => [task.name, task]))
  const schedules = createSchedules(db, { logger, graceMs: Math.max(60_000, 2 * resolved.scheduleInterval) })
  const matviews = createMatviews(db, schedules)
  const api = createJobsApi(db, tasks, schedules, matviews)
  const handler = createJobsHandler({
    api,
    authenticate: resolved.authenticate,
    serviceRole: db.roles.service,
    basePath: resolved.basePath,
    limits: { maxBytes: resolved.maxBodyBytes, maxJsonDepth: resolved.maxJsonDepth },
    onError: resolved.onError,
  })
  const builtins = builtinTasks(db, matviews, resolved.historyRetention)
  const events = createWorkerEvents()
  const history = resolved.history ? new HistoryWriter(db, logger) : null
  const heartbeat = new Heartbeat(db, logger, {
    instanceId,
    staleAfter: resolved.staleAfter,
    history: resolved.history,
  })

  let runner: Runner | null = null
  let starting: Promise<void> | null = null
  let timers: NodeJS.Timeout[] = []
  let stopController = new AbortController()

  installPoolErrorHandlers(db.pool, logger)

  function clearTimers() {
    for (const timer of timers) clearInterval(timer)
    timers = []
  }

  function every(ms: number, fn: () => Promise<void>) {
    let busy = false
    const timer = setInterval(() => {
      if (busy) return
      busy = true
      fn()
        .catch((error) => logger.error(`groundwork jobs: background task failed: ${errorText(error)}`))
        .finally(() => {
          busy = false
        })
    }, ms)
    timer.unref()
    timers.push(timer)
  }

  const jobs: Jobs<Tasks> = {
    name: 'jobs',
    api: api as JobsApi<Tasks>,
    handler,
    migrations,
    tasks: [],
    get running() {
      return runner !== null
    },
    events,
    instanceId,
    sweep: () => heartbeat.sweep(),
    start() {
      if (runner) return Promise.resolve()
      starting ??= (async () => {
        await assertMigrated(db)
        const userTasks = [...tasks.values()]
        stopController = new AbortController()
        const runnable = [...builtins.filter((task) => !tasks.has(task.name)), ...userTasks]
        const taskList = buildTaskList(runnable, { logger, history, stopSignal: stopController.signal })
        // Created once; an operator's later edits (or disabling it) are kept across restarts.
        await schedules.create(PRUNE_RUNS_SCHEDULE).catch((error: { code?: string }) => {
          if (error.code !== 'JOBS_SCHEDULE_EXISTS') throw error
        })
        let started: Runner | null = null
        let exited = false
        started = await startRunner({
          db,
          logger,
          taskList,
          concurrency: resolved.concurrency,
          pollInterval: resolved.pollInterval,
          shutdownTimeout: resolved.shutdownTimeout,
          events,
          heartbeat,
          payloadTasks: new Set(runnable.filter(logsPayload).map((task) => task.name)),
          onExit: () => {
            // The runner ended without close() (a fatal error): stop the timers too, so `running`
            // tells the truth and start() can be called again.
            exited = true
            if (!started || runner !== started) return
            runner = null
            clearTimers()
            void history?.flush()
          },
        })
        if (exited)
          throw jobsError(
            'JOBS_RUNNER_FAILED',
            'The graphile-worker runner stopped as soon as it started; see the logs',
          )
        runner = started
        every(resolved.heartbeatInterval, () => heartbeat.tick())
        // The first tick enqueues ticks missed while no instance ran (within each backfill window).
        const tick = async () => {
          await schedules.tick()
        }
        void tick()
        every(resolved.scheduleInterval, tick)
      })().finally(() => {
        starting = null
      })
      return starting
    },
    async close(closeOptions = {}) {
      if (starting) await starting.catch(() => {})
      const current = runner
      if (!current) return
      runner = null
      clearTimers()
      await stopRunner(current, closeOptions.timeout ?? resolved.shutdownTimeout, stopController)
      await history?.close()
      await heartbeat
        .clear()
        .catch((error) => logger.warn('groundwork jobs: could not clear heartbeats', error))
    },
  }
  return jobs
}

/** Fails `start()` with a clear message when the `jobs` MigrationSet was never applied. */
async function assertMigrated(db: Database): Promise<void> {
  const { rows } = await db.query<{ jobs: string | null; worker: string | null }>(
    "select to_regclass('jobs.schedules')::text as jobs, to_regclass('graphile_worker.jobs')::text as worker",
  )
  if (!rows[0]?.jobs || !rows[0]?.worker) {
    throw jobsError('JOBS_NOT_MIGRATED', 'The jobs schema is missing: apply the jobs migrations first', {
      hint: 'await migrate(db, [coreMigrations, jobs.migrations]), or run `groundwork migrate`.',
    })
  }
}

/**
 * A connection that drops emits 'error' on the pool (idle clients) or on the client (checked-out
 * ones, such as graphile-worker's LISTEN connection); unhandled, either crashes the host. With
 * both handlers present graphile-worker also stops warning about them.
 */
function installPoolErrorHandlers(pool: pg.Pool, logger: Logger): void {
  if (pool.listenerCount('error') === 0) {
    pool.on('error', (error) =>
      logger.error(`groundwork jobs: idle database connection failed: ${error.message}`),
    )
  }
  if (pool.listenerCount('connect') === 0) {
    const onClientError = (error: Error) =>
      logger.error(`groundwork jobs: database connection failed: ${error.message}`)
    pool.on('connect', (client) => {
      client.on('error', onClientError)
    })
  }
}

/**
 * Graceful stop: graphile-worker stops fetching and waits for running jobs; after `timeout` their
 * `ctx.signal` aborts; if they still ignore it 5 s later, the runner is killed (their jobs fail and
 * are retried).
 */
async function stopRunner(runner: Runner, timeout: number, controller: AbortController): Promise<void> {
  const graceful = runner.stop('groundwork jobs: close()')
  const abortTimer = setTimeout(() => controller.abort(new Error('groundwork jobs: stopping')), timeout)
  let killTimer: NodeJS.Timeout | undefined
  const forced = new Promise<'timeout'>((resolve) => {
    killTimer = setTimeout(() => resolve('timeout'), timeout + 5000)
  })
  try {
    const outcome = await Promise.race([graceful.then(() => 'stopped' as const), forced])
    if (outcome === 'timeout') await runner.kill('groundwork jobs: jobs ignored the abort signal')
  } finally {
    clearTimeout(abortTimer)
    clearTimeout(killTimer)
  }
}
