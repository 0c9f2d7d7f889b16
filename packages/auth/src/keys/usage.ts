import type { Queryable } from '../db'

/** Records that keys were used; see {@link createUsageRecorder}. */
export interface UsageRecorder {
  /** Notes a use of key `id` (no I/O). */
  mark(id: string): void
  /** Writes what was noted so far (one statement). */
  flush(): Promise<void>
  /** Stops the timer and writes what is left; later marks are written by the next `flush()` only. */
  close(): Promise<void>
}

/**
 * `last_used_at` in batches: uses are noted in a set, and `intervalMs` after the first unwritten
 * one a single `update … where id = any($1)` writes them all — never a write per request. The
 * timer is armed on demand and `unref`'d (it never keeps a process alive); `close()` (from
 * `auth.close()`) cancels it and writes the rest.
 */
export function createUsageRecorder(
  db: Queryable,
  intervalMs: number,
  onError: (error: unknown) => void,
): UsageRecorder {
  let pending = new Set<string>()
  let timer: NodeJS.Timeout | null = null
  let closed = false

  async function flush(): Promise<void> {
    if (timer) clearTimeout(timer)
    timer = null
    if (pending.size === 0) return
    const ids = [...pending]
    pending = new Set()
    try {
      await db.query('update auth.api_keys set last_used_at = now() where id = any($1::uuid[])', [ids])
    } catch (error) {
      onError(error)
    }
  }

  return {
    mark(id) {
      pending.add(id)
      if (timer || closed) return
      timer = setTimeout(() => void flush(), intervalMs)
      timer.unref()
    },
    flush,
    async close() {
      closed = true
      await flush()
    },
  }
}
