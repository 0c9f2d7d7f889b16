import { defineMigrations, type MigrationSet } from '@groundwork/core'
import initial from '../migrations/0001_mail.sql?raw'

/**
 * The `mail` MigrationSet: schema `mail` with `templates` (stored Liquid templates per key and
 * locale), `template_generation` (cross-instance cache invalidation) and `outbox` (the dev
 * transport's messages). Row-level security is on and API roles get no grants. Apply it after
 * the jobs set: `migrate(db, [core, jobs.migrations, mail.migrations])`.
 */
export const migrations: MigrationSet = defineMigrations('mail', { '0001_mail.sql': initial })
