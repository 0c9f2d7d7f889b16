import { type AnyTaskDefinition, defineTask, type JwtClaims } from '@groundwork/core'
import { z } from 'zod'
import { assertKey, versionKey } from './backends/types'
import type { StorageContext } from './internal/context'
import { escapeLike } from './names'

/** Deletes the bytes of versions no row references any more (enqueued by the outbox trigger). */
export const DELETE_VERSIONS_TASK = 'storage:delete-versions'
/** Deletes backend keys (parts of finished or abandoned resumable uploads). */
export const DELETE_KEYS_TASK = 'storage:delete-keys'
/** Deletes a folder's objects in batches, as the caller who asked. */
export const DELETE_PREFIX_TASK = 'storage:delete-prefix'
/** Moves a folder's objects in batches, as the caller who asked. */
export const MOVE_PREFIX_TASK = 'storage:move-prefix'
/** Ends expired resumable uploads and deletes bytes no row references (schedule it, e.g. hourly). */
export const CLEANUP_TASK = 'storage:cleanup'

/** The payload of the folder jobs. */
export interface PrefixJobPayload {
  bucketId: string
  /** `folder/` (with the slash), or `''` for the whole bucket. */
  prefix: string
  destinationBucket?: string
  destinationPrefix?: string
  /** The caller's claims (with `role`): the job's statements run as them, so RLS decides. */
  claims: JwtClaims
}

const BATCH = 1000

const prefixSchema = z.object({
  bucketId: z.string().min(1).max(100),
  prefix: z.string().max(1024),
  destinationBucket: z.string().min(1).max(100).optional(),
  destinationPrefix: z.string().max(1024).optional(),
  claims: z.record(z.string(), z.unknown()),
})

/** The background tasks of the storage service, for `createJobs({ tasks: [...storage.tasks] })`. */
export function createStorageTasks(
  ctx: StorageContext,
  cleanup: (options: { olderThanMs?: number | undefined }) => Promise<unknown>,
): AnyTaskDefinition[] {
  const deleteVersions = defineTask({
    name: DELETE_VERSIONS_TASK,
    schema: z.object({ versions: z.array(z.string().regex(/^[0-9a-f-]{36}$/)).max(BATCH) }),
    async run({ versions }) {
      // A version is unique to one row; the check only guards against a row that kept it after all.
      const { rows } = await ctx.db.query<{ v: string }>(
        'select v from unnest($1::text[]) v where not exists (select 1 from storage.objects o where o.version = v)',
        [versions],
      )
      await ctx.backend.delete(rows.map((row) => versionKey(row.v)))
    },
  })

  const deleteKeys = defineTask({
    name: DELETE_KEYS_TASK,
    schema: z.object({ keys: z.array(z.string().max(512)).max(BATCH) }),
    async run({ keys }) {
      await ctx.backend.delete(keys.map(assertKey))
    },
  })

  const deletePrefix = defineTask({
    name: DELETE_PREFIX_TASK,
    schema: prefixSchema,
    async run(payload) {
      let after = ''
      for (;;) {
        const last = await ctx.db.withClaims(payload.claims, async (tx) => {
          const { rows } = await tx.query<{ id: string; name: string }>(
            `select id, name from storage.objects where bucket_id = $1 and name like $2 escape '\\' and name collate "C" > $3
             order by name collate "C" limit ${BATCH}`,
            [payload.bucketId, `${escapeLike(payload.prefix)}%`, after],
          )
          if (rows.length === 0) return null
          await tx.query('delete from storage.objects where id = any($1::uuid[])', [rows.map((r) => r.id)])
          return rows[rows.length - 1]?.name ?? null
        })
        if (last === null) return
        after = last
      }
    },
  })

  const movePrefix = defineTask({
    name: MOVE_PREFIX_TASK,
    schema: prefixSchema,
    async run(payload) {
      const destinationBucket = payload.destinationBucket ?? payload.bucketId
      const destinationPrefix = payload.destinationPrefix ?? ''
      let after = ''
      for (;;) {
        const last = await ctx.db.withClaims(payload.claims, async (tx) => {
          const { rows } = await tx.query<{ id: string; name: string }>(
            `select o.id, o.name from storage.objects o
             where o.bucket_id = $1 and o.name like $2 escape '\\' and o.name collate "C" > $3
             order by o.name collate "C" limit ${BATCH}`,
            [payload.bucketId, `${escapeLike(payload.prefix)}%`, after],
          )
          if (rows.length === 0) return null
          // Rows whose new name is taken stay where they are (the job never fails over one of them).
          await tx.query(
            `update storage.objects o set bucket_id = $2, name = $3 || substr(o.name, char_length($4) + 1), updated_at = now()
             where o.id = any($1::uuid[]) and not exists (
               select 1 from storage.objects d
               where d.bucket_id = $2 and d.name = $3 || substr(o.name, char_length($4) + 1))`,
            [rows.map((r) => r.id), destinationBucket, destinationPrefix, payload.prefix],
          )
          return rows[rows.length - 1]?.name ?? null
        })
        if (last === null) return
        after = last
      }
    },
  })

  const cleanupTask = defineTask({
    name: CLEANUP_TASK,
    schema: z.object({ olderThanMs: z.number().int().positive().optional() }),
    async run(payload) {
      await cleanup(payload)
    },
  })

  return [deleteVersions, deleteKeys, deletePrefix, movePrefix, cleanupTask]
}
