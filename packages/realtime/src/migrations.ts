import { defineMigrations, type MigrationSet } from '@groundwork/core'
import initial from '../migrations/0001_realtime.sql?raw'
import loggedRowVisibility from '../migrations/0002_logged_row_visibility.sql?raw'

/**
 * The `realtime` MigrationSet: schema `realtime` with the change log, `realtime.enable()` /
 * `realtime.disable()`, the batched visibility function, retention, and the `realtime.messages`
 * table whose RLS policies authorize broadcast and presence; 0002 decides visibility on the logged
 * row by the table's policies (regenerated when they change) and adds the revocation re-check.
 * Apply it with core's `migrate(db, [...])` or `groundwork migrate`.
 *
 * @see https://github.com/groundwork/groundwork/blob/main/docs/realtime.md
 */
export const migrations: MigrationSet = defineMigrations('realtime', {
  '0001_realtime.sql': initial,
  '0002_logged_row_visibility.sql': loggedRowVisibility,
})
