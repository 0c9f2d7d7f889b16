import { defineMigrations, type MigrationSet } from '@groundwork/core'
import initial from '../migrations/0001_realtime.sql?raw'

/**
 * The `realtime` MigrationSet: schema `realtime` with the change log, `realtime.enable()` /
 * `realtime.disable()`, the batched visibility function, retention, and the `realtime.messages`
 * table whose RLS policies authorize broadcast and presence. Apply it with core's
 * `migrate(db, [...])` or `groundwork migrate`.
 *
 * @see https://github.com/groundwork/groundwork/blob/main/docs/realtime.md
 */
export const migrations: MigrationSet = defineMigrations('realtime', { '0001_realtime.sql': initial })
