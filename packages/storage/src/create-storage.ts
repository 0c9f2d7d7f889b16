import { resolve } from 'node:path'
import type { AnyTaskDefinition, GroundworkService, MigrationSet, ServiceHandler } from '@groundwork/core'
import { parseOptions } from '@groundwork/core/kit'
import { createStorageApi, type StorageApi } from './api'
import { localBackend } from './backends/local'
import type { StorageBackend } from './backends/types'
import { storageError } from './errors'
import { createStorageHandler } from './http/handler'
import { createContext } from './internal/context'
import { migrations } from './migrations'
import { type StorageOptions, storageOptionsSchema } from './options'
import { createStorageTasks } from './tasks'

/** What {@link createStorage} returns: a `GroundworkService` with the backend it writes to. */
export interface Storage extends GroundworkService<StorageApi> {
  readonly name: 'storage'
  /** Buckets, objects, signed URLs, listings, folder jobs, resumable uploads, image rendering, cleanup. */
  readonly api: StorageApi
  /** Supabase Storage's HTTP API over `api` (mount it at `/storage/v1`). */
  readonly handler: ServiceHandler
  /** The `storage` MigrationSet (apply after the jobs set). */
  readonly migrations: MigrationSet
  /**
   * `storage:delete-versions`, `storage:delete-keys`, `storage:delete-prefix`, `storage:move-prefix`,
   * `storage:cleanup`: run them with `createJobs({ tasks: [...storage.tasks] })`.
   */
  readonly tasks: readonly AnyTaskDefinition[]
  /** Where bytes live. */
  readonly backend: StorageBackend
  /** Checks the schema is migrated. Idempotent; no background work of its own (its jobs run on the jobs runner). */
  start(): Promise<void>
  /** Releases the backend. Idempotent; the `Database` stays open. */
  close(): Promise<void>
}

/**
 * Creates the storage service: Supabase Storage's API (`@supabase/storage-js` and `tus-js-client`
 * work unchanged) over files on local disk or any S3-compatible store, where Postgres row-level
 * security on `storage.objects` and `storage.buckets` decides every operation — the policies
 * written for Supabase run as they are.
 *
 * @example
 * ```ts
 * const storage = createStorage({
 *   db,
 *   authenticate: auth.authenticate,
 *   signingSecret: process.env.JWT_SECRET!,
 *   backend: localBackend({ root: './data/storage' }),
 * })
 * const jobs = createJobs({ db, tasks: [...storage.tasks] })
 * await migrate(db, [coreMigrations, jobs.migrations, storage.migrations])
 * app.use('/storage/v1', toNodeHandler(storage.handler))
 * ```
 * @see https://github.com/groundwork/groundwork/blob/main/docs/storage.md
 */
export function createStorage(options: StorageOptions): Storage {
  const resolved = parseOptions(storageOptionsSchema, options, 'createStorage')
  const backend = resolved.backend ?? localBackend({ root: resolve('.groundwork/storage') })
  const ctx = createContext(resolved, backend)
  const api = createStorageApi(ctx)
  const handler = createStorageHandler({
    api,
    authenticate: resolved.authenticate,
    basePath: resolved.basePath,
    limits: { maxBytes: resolved.maxBodyBytes, maxJsonDepth: 32 },
    onError: resolved.onError,
  })
  let closed = false
  return {
    name: 'storage',
    api,
    handler,
    migrations,
    tasks: createStorageTasks(ctx, (payload) => api.cleanup(payload)),
    backend,
    async start() {
      const { rows } = await ctx.db.query<{ objects: string | null }>(
        "select to_regclass('storage.objects')::text as objects",
      )
      if (!rows[0]?.objects) {
        throw storageError(
          'STORAGE_NOT_MIGRATED',
          'The storage schema is missing: apply the storage migrations first',
          {
            hint: 'await migrate(db, [coreMigrations, jobs.migrations, storage.migrations]), or run `groundwork migrate`.',
          },
        )
      }
    },
    async close() {
      if (closed) return
      closed = true
      await backend.close()
    },
  }
}
