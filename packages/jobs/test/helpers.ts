import type { Database } from '@groundwork/core'

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
