import type { AnyTaskDefinition, Logger } from '@groundwork/core'
import { Logger as WorkerLogger } from 'graphile-worker'

/** What {@link toWorkerLogger} forwards besides the text. */
export interface WorkerLogSettings {
  /** Tasks whose job payloads may appear in log metadata (`logPayload: true`). @default none */
  payloadTasks?: ReadonlySet<string>
}

/** A graphile-worker logger that drops everything. */
export function silentWorkerLogger(): WorkerLogger {
  return new WorkerLogger(() => () => {})
}

/** True when a task opted into having its payload logged (`logPayload: true`); anything else keeps payloads out. */
export function logsPayload(task: AnyTaskDefinition): boolean {
  return task.logPayload === true
}

/**
 * Routes graphile-worker's log lines to a Groundwork `Logger`, with their metadata made safe to
 * keep: graphile-worker attaches whole job rows (`{ job }` on "Completed task … with success" and
 * "Failed task …", `jobs`, `specs`, event payloads on shutdown and error paths), and job payloads
 * carry secrets (magic links, OTP codes in `mail:send`). See {@link redactLogMeta}.
 */
export function toWorkerLogger(logger: Logger, settings: WorkerLogSettings = {}): WorkerLogger {
  const payloadTasks = settings.payloadTasks ?? new Set<string>()
  return new WorkerLogger((scope) => (level, message, meta) => {
    const text = `graphile-worker${scope.label ? `[${scope.label}]` : ''}: ${message}`
    const safe = meta ? redactLogMeta(meta, payloadTasks) : undefined
    const extra = safe && Object.keys(safe).length > 0 ? [safe] : []
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

/** Keys whose values carry job payloads (`payload`, `replacementPayload`, …): never forwarded. */
const PAYLOAD_KEY = /payload/i
/**
 * Dropped whole: `options` is the worker pool's raw options (the pool, connection settings;
 * graphile-worker logs it when `GRAPHILE_ENABLE_DANGEROUS_LOGS` is set), `ctx` the shared context
 * (options, hooks, the logger itself).
 */
const DROPPED_KEYS = new Set(['options', 'ctx'])
const MAX_DEPTH = 4
const MAX_ITEMS = 50

/**
 * A copy of graphile-worker log metadata without job payloads. Job rows (objects with a
 * `task_identifier`) keep everything but `payload`, unless their task is in `payloadTasks`;
 * any other key naming a payload is dropped; workers and pools are reduced to their ids; class
 * instances other than errors and dates to their class name; nesting is cut at a small depth and
 * arrays at {@link MAX_ITEMS} entries. The original objects are never touched (graphile-worker
 * still owns them).
 */
export function redactLogMeta(
  meta: Record<string, unknown>,
  payloadTasks: ReadonlySet<string> = new Set(),
): Record<string, unknown> {
  return copyObject(meta, 0, new WeakSet(), payloadTasks)
}

// `ancestors` holds the objects being copied above the current one (a cycle is cut there); an
// object met twice side by side (the same job in `job` and `jobs`) is copied twice.

function copyObject(
  value: Record<string, unknown>,
  depth: number,
  ancestors: WeakSet<object>,
  payloadTasks: ReadonlySet<string>,
): Record<string, unknown> {
  ancestors.add(value)
  const taskIdentifier = value.task_identifier
  const keepPayload = typeof taskIdentifier === 'string' && payloadTasks.has(taskIdentifier)
  const copy: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    if (DROPPED_KEYS.has(key) || typeof item === 'function') continue
    if (PAYLOAD_KEY.test(key)) {
      if (keepPayload && key === 'payload') copy[key] = item
      continue
    }
    copy[key] = copyValue(key, item, depth + 1, ancestors, payloadTasks)
  }
  ancestors.delete(value)
  return copy
}

function copyValue(
  key: string,
  value: unknown,
  depth: number,
  ancestors: WeakSet<object>,
  payloadTasks: ReadonlySet<string>,
): unknown {
  if (value === null || typeof value !== 'object') return value
  if (value instanceof Error || value instanceof Date) return value
  if (ancestors.has(value)) return '[Circular]'
  if (key === 'worker') return idOf(value, 'workerId')
  if (key === 'workerPool' || key === 'pool') return idOf(value, 'id')
  if (depth > MAX_DEPTH) return Array.isArray(value) ? '[Array]' : '[Object]'
  if (Array.isArray(value)) {
    ancestors.add(value)
    const items = value
      .slice(0, MAX_ITEMS)
      .map((item) => copyValue('', item, depth + 1, ancestors, payloadTasks))
    ancestors.delete(value)
    if (value.length > MAX_ITEMS) items.push(`… ${value.length - MAX_ITEMS} more`)
    return items
  }
  const prototype = Object.getPrototypeOf(value)
  if (prototype !== Object.prototype && prototype !== null) {
    return `[${(value.constructor as { name?: string } | undefined)?.name || 'Object'}]`
  }
  return copyObject(value as Record<string, unknown>, depth, ancestors, payloadTasks)
}

function idOf(value: object, field: string): unknown {
  const id = (value as Record<string, unknown>)[field]
  return typeof id === 'string' ? { [field]: id } : '[Object]'
}
