import { defineMigrations, type MigrationSet } from '@groundwork/core'
import { runMigrations } from 'graphile-worker'
import pg from 'pg'
import initial from '../migrations/0001_jobs.sql?raw'
import { silentWorkerLogger } from './internal/worker-logger'

const sqlSet = defineMigrations('jobs', { '0001_jobs.sql': initial })

/**
 * The `jobs` MigrationSet: `prepare` installs (or upgrades) graphile-worker's own schema with
 * graphile-worker's migrator, then the numbered SQL files create schema `jobs` (run history,
 * schedules, worker heartbeats, matview registry). Apply it with core's `migrate(db, [...])` or
 * `groundwork migrate`.
 *
 * @see https://worker.graphile.org/docs/schema
 */
export const migrations: MigrationSet = {
  ...sqlSet,
  async prepare(pool) {
    // A short-lived pool of its own: core's migrate() holds one of `pool`'s connections for its
    // advisory lock, and callers may size `pool` at 1 connection.
    // A pool-like object without pg's options cannot be cloned: use it as is.
    const options = (pool as pg.Pool & { options?: pg.PoolConfig }).options
    const own = options ? new pg.Pool({ ...options, max: 2 }) : null
    if (own) {
      // Errors surface through runMigrations' promise; these listeners only keep a dropped idle or
      // active connection from crashing the process (and graphile-worker from warning about it).
      own.on('error', () => {})
      own.on('connect', (client) => client.on('error', () => {}))
    }
    try {
      await runMigrations({ pgPool: own ?? pool, logger: silentWorkerLogger() })
    } finally {
      await own?.end()
    }
  },
}
