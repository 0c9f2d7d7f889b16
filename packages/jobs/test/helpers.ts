import { inspect } from 'node:util'
import type { Database, Logger } from '@groundwork/core'

/** Polls `check` until it returns a truthy value or `timeout` ms pass. */
export async function waitFor<T>(
  check: () => Promise<T | null | undefined | false>,
  timeout = 15_000,
  every = 50,
): Promise<T> {
  const deadline = Date.now() + timeout
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeout} ms`)
    await new Promise((resolve) => setTimeout(resolve, every))
  }
}

/** Number of graphile-worker jobs (any state) of a task. */
export async function jobCount(db: Database, task: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'select count(*)::int as n from graphile_worker.jobs where task_identifier = $1',
    [task],
  )
  return rows[0]?.n ?? 0
}

/** One line a {@link capturingLogger} received: its level, message and arguments, serialised. */
export interface CapturedLine {
  level: 'debug' | 'info' | 'warn' | 'error'
  message: string
  /** The extra arguments as JSON (errors with name, message, stack and own fields; cycles cut). */
  json: string
  /** The extra arguments as `util.inspect` shows them (what `console` would print). */
  inspected: string
}

/**
 * A logger that keeps every line at every level, with its metadata serialised both ways a host
 * logger would (JSON, as pino and friends do, and `util.inspect`, as `console` does).
 */
export function capturingLogger(): Logger & { lines: CapturedLine[]; text(): string } {
  const lines: CapturedLine[] = []
  const at =
    (level: CapturedLine['level']) =>
    (message: string, ...args: unknown[]) => {
      lines.push({ level, message, json: toJson(args), inspected: inspect(args, { depth: 20 }) })
    }
  return {
    lines,
    text: () =>
      lines.map((line) => `${line.level} ${line.message} ${line.json} ${line.inspected}`).join('\n'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  }
}

function toJson(value: unknown): string {
  const seen = new WeakSet<object>()
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'bigint') return item.toString()
    if (item instanceof Error) return { ...item, name: item.name, message: item.message, stack: item.stack }
    if (typeof item === 'object' && item !== null) {
      if (seen.has(item)) return '[Circular]'
      seen.add(item)
    }
    return item
  })
}
