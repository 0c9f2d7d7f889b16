import { defineMigrations, type MigrationSet } from '@groundwork/core'
import initial from '../migrations/0001_webhooks.sql?raw'

/**
 * The `webhooks` MigrationSet: schema `webhooks` with `endpoints`, `secrets` and the delivery
 * outbox `deliveries`, and the trigger on `realtime.changes` that captures changes of watched
 * tables into it. Apply it after the jobs and realtime sets:
 * `migrate(db, [core, jobs.migrations, realtime.migrations, webhooks.migrations])`.
 */
export const migrations: MigrationSet = defineMigrations('webhooks', { '0001_webhooks.sql': initial })
