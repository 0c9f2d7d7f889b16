import { defineMigrations, type MigrationSet } from '@groundwork/core'
import ddlWatch from '../migrations/0001_schema_reload_trigger.sql?raw'
import skipTemp from '../migrations/0002_schema_reload_skip_temp.sql?raw'

/**
 * The `rest` MigrationSet: an event trigger that sends `NOTIFY pgrst, 'reload schema'` after every
 * DDL command, so the schema cache of every instance reloads automatically (PostgREST's documented
 * recipe). Creating event triggers needs a superuser; without one the migration only warns and
 * the cache still reloads on an explicit `NOTIFY pgrst, 'reload schema'`.
 *
 * @see https://docs.postgrest.org/en/v14/references/schema_cache.html#automatic-schema-cache-reloading
 */
export const migrations: MigrationSet = defineMigrations('rest', {
  '0001_schema_reload_trigger.sql': ddlWatch,
  '0002_schema_reload_skip_temp.sql': skipTemp,
})
