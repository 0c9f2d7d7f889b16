import { defineMigrations, type MigrationSet } from '@groundwork/core'
import initial from '../migrations/0001_push.sql?raw'

/**
 * The `push` MigrationSet: schema `push` with `devices` (row-level security: each user sees and
 * deletes their own; registration through `push.register_device`, which moves a token between
 * users), `device_topics`, `notifications`, `deliveries` and `dev_outbox`. Apply it after the
 * jobs set: `migrate(db, [core, jobs.migrations, push.migrations])`.
 */
export const migrations: MigrationSet = defineMigrations('push', { '0001_push.sql': initial })
