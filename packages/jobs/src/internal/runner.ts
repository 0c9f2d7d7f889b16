import { EventEmitter } from 'node:events'
import type { Database, Logger } from '@groundwork/core'
import { type Runner, run, type TaskList, type WorkerEvents } from 'graphile-worker'
import type { Heartbeat } from './heartbeat'
import { errorText } from './task-list'
import { toWorkerLogger } from './worker-logger'

/** Settings of one graphile-worker runner. */
export interface RunnerSettings {
  db: Database
  logger: Logger
  taskList: TaskList
  concurrency: number
  pollInterval: number
  shutdownTimeout: number
  events: WorkerEvents
  heartbeat: Heartbeat
  /** Tasks whose payloads may appear in log metadata (`logPayload: true`); every other payload is stripped. */
  payloadTasks: ReadonlySet<string>
  /** Called once when the runner ends, whether by `stop()` or on its own (fatal error). */
  onExit?: (error: unknown) => void
}

/** A typed EventEmitter graphile-worker emits on; created up front so listeners can attach before `start()`. */
export function createWorkerEvents(): WorkerEvents {
  return new EventEmitter() as WorkerEvents
}

/**
 * Starts graphile-worker's `run()` on the core pool. Worker and pool ids are reported to the
 * heartbeat as graphile-worker creates them, and forgotten when they stop cleanly (graphile-worker
 * 0.18 locks jobs with the pool's id, so that is the id a sweeper unlocks).
 *
 * @see https://worker.graphile.org/docs/library/run
 */
export async function startRunner(settings: RunnerSettings): Promise<Runner> {
  const { db, logger, events, heartbeat } = settings
  const report = (promise: Promise<void>) =>
    promise.catch((error) => logger.error(`groundwork jobs: heartbeat update failed: ${errorText(error)}`))
  const onPool = ({ workerPool }: { workerPool: { id: string } }) => void report(heartbeat.add(workerPool.id))
  const onWorker = ({ worker }: { worker: { workerId: string } }) =>
    void report(heartbeat.add(worker.workerId))
  const onWorkerStop = ({ worker }: { worker: { workerId: string } }) =>
    void report(heartbeat.remove(worker.workerId))
  const onPoolRelease = ({ workerPool }: { workerPool: { id: string } }) =>
    void report(heartbeat.remove(workerPool.id))
  const detach = () => {
    events.off('pool:create', onPool)
    events.off('worker:create', onWorker)
    events.off('worker:stop', onWorkerStop)
    events.off('pool:release', onPoolRelease)
  }
  events.on('pool:create', onPool)
  events.on('worker:create', onWorker)
  events.on('worker:stop', onWorkerStop)
  events.on('pool:release', onPoolRelease)
  try {
    const runner = await run({
      pgPool: db.pool,
      taskList: settings.taskList,
      parsedCronItems: [],
      concurrency: settings.concurrency,
      pollInterval: settings.pollInterval,
      noHandleSignals: true,
      gracefulShutdownAbortTimeout: settings.shutdownTimeout,
      logger: toWorkerLogger(logger, { payloadTasks: settings.payloadTasks }),
      events,
    })
    runner.promise.then(
      () => {
        detach()
        settings.onExit?.(null)
      },
      (error) => {
        detach()
        logger.error(`groundwork jobs: runner stopped with an error: ${errorText(error)}`)
        settings.onExit?.(error)
      },
    )
    return runner
  } catch (error) {
    detach()
    throw error
  }
}
