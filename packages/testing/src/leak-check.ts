import pg from 'pg'
import { afterAll } from 'vitest'

/**
 * Fails a test file that leaves a `pg.Pool` open: every pool constructed while the file runs is
 * tracked, and each must be ended by the time its `afterAll` hooks finish.
 */
const live = new Set<pg.Pool>()
const OriginalPool = pg.Pool
class TrackedPool extends OriginalPool {
  constructor(...args: ConstructorParameters<typeof OriginalPool>) {
    super(...args)
    live.add(this)
  }
}
pg.Pool = TrackedPool as typeof pg.Pool

afterAll(() => {
  const leaked = [...live].filter((pool) => !pool.ended)
  live.clear()
  if (leaked.length > 0) {
    throw new Error(
      `${leaked.length} pg.Pool(s) were left open by this test file: close every Database and pool in afterAll.`,
    )
  }
})
