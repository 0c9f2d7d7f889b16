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
