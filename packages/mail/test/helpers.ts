import { inspect } from 'node:util'
import type { Logger } from '@groundwork/core'

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

/** A logger that keeps what it is given, by level. */
export function recordingLogger(): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = []
  const at =
    (level: string) =>
    (message: string, ...args: unknown[]) => {
      lines.push({ level, message: [message, ...args.map(String)].join(' ') })
    }
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

/**
 * A logger that keeps every line at every level as one string: the message, then its arguments
 * serialised both ways a host logger would (JSON, as pino and friends do, with errors' name,
 * message, stack and own fields; and `util.inspect`, as `console` does).
 */
export function capturingLogger(): Logger & { text(): string } {
  const lines: string[] = []
  const at =
    (level: string) =>
    (message: string, ...args: unknown[]) => {
      lines.push(`${level} ${message} ${toJson(args)} ${inspect(args, { depth: 20 })}`)
    }
  return {
    text: () => lines.join('\n'),
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
