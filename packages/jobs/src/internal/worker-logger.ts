import type { Logger } from '@groundwork/core'
import { Logger as WorkerLogger } from 'graphile-worker'

/** A graphile-worker logger that drops everything. */
export function silentWorkerLogger(): WorkerLogger {
  return new WorkerLogger(() => () => {})
}

/** Routes graphile-worker's log lines to a Groundwork `Logger`. */
export function toWorkerLogger(logger: Logger): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    const text = `graphile-worker${scope.label ? `[${scope.label}]` : ''}: ${message}`
    const extra = meta && Object.keys(meta).length > 0 ? [meta] : []
    switch (level) {
      case 'error':
        logger.error(text, ...extra)
        break
      case 'warning':
        logger.warn(text, ...extra)
        break
      case 'info':
        logger.info(text, ...extra)
        break
      default:
        logger.debug(text, ...extra)
    }
  })
}
