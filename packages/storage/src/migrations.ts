import { defineMigrations, type MigrationSet } from '@groundwork/core'
import initial from '../migrations/0001_storage.sql?raw'

/**
 * The `storage` MigrationSet: Supabase's `storage.buckets` / `storage.objects` with their helpers
 * (`storage.foldername`, `storage.filename`, `storage.extension`), the byte-deletion outbox trigger
 * and the resumable-upload state. Apply it after the jobs set (its trigger enqueues jobs):
 * `migrate(db, [coreMigrations, jobs.migrations, storage.migrations])`.
 *
 * @see https://github.com/groundwork/groundwork/blob/main/docs/storage.md
 */
export const migrations: MigrationSet = defineMigrations('storage', { '0001_storage.sql': initial })
