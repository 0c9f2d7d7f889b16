import { randomUUID } from 'node:crypto'
import { addJob } from '@groundwork/jobs'
import { versionKey } from '../backends/types'
import type { BucketLimits } from '../buckets'
import { noSuchKey, storageError } from '../errors'
import { asCaller, type CallOptions, ownerOf, type StorageContext } from '../internal/context'
import { assertBucketId, assertObjectName, folderPrefix } from '../names'
import { DELETE_PREFIX_TASK, MOVE_PREFIX_TASK, type PrefixJobPayload } from '../tasks'
import { fileObject, findObjectOn, metadataFor, OBJECT_COLUMNS, type ObjectRow } from './records'
import { checkUploadable, writeObjectRow } from './upload'

/** Options of a move or a copy (storage-js's `DestinationOptions` / `CopyOptions`). */
export interface CopyOptions {
  /** @default the source bucket */
  destinationBucket?: string
  /** Copy: replace an existing destination (needs UPDATE too). @default false */
  upsert?: boolean
  /** Copy: keep the source's user metadata. @default true */
  copyMetadata?: boolean
  /** Copy with `copyMetadata: false`: overrides of the stored metadata. */
  metadata?: { cacheControl?: string; mimetype?: string; contentEncoding?: string }
}

const MAX_BULK = 1000

/** Move, copy, delete and the folder (prefix) operations, all as the caller. */
export function createManageApi(
  ctx: StorageContext,
  limits: (bucketId: string) => Promise<BucketLimits | null>,
) {
  const objects = (bucket: string, ...more: string[]) => ({
    tables: ['storage.objects'],
    buckets: [bucket, ...more],
  })

  return {
    /**
     * Renames an object (across buckets too): one UPDATE as the caller, so UPDATE policies decide
     * (on the old row, and their WITH CHECK on the new one). The bytes do not move: they are
     * stored under the version, not the name.
     */
    async move(
      bucketId: string,
      from: string,
      to: string,
      options: CopyOptions = {},
      call: CallOptions = {},
    ) {
      assertBucketId(bucketId)
      assertObjectName(from)
      assertObjectName(to)
      const destination = assertBucketId(options.destinationBucket ?? bucketId)
      const access = { operation: 'write' as const, ...objects(bucketId, destination) }
      const target = destination === bucketId ? null : await limits(destination)
      await asCaller(ctx, call, access, async (tx) => {
        if (destination !== bucketId) {
          const source = await findObjectOn(tx, bucketId, from)
          checkUploadable(ctx, target, source.metadata.mimetype, source.metadata.size)
        }
        const { rowCount } = await tx.query(
          `update storage.objects set bucket_id = $3, name = $4, updated_at = now()
           where bucket_id = $1 and name = $2`,
          [bucketId, from, destination, to],
        )
        if (!rowCount) throw noSuchKey()
      })
      return { message: 'Successfully moved' }
    },

    /**
     * Copies an object: SELECT on the source and INSERT (upsert: also UPDATE) on the destination,
     * as the caller. The bytes are copied inside the backend (server-side on S3) to a new version.
     */
    async copy(
      bucketId: string,
      from: string,
      to: string,
      options: CopyOptions = {},
      call: CallOptions = {},
    ) {
      assertBucketId(bucketId)
      assertObjectName(from)
      assertObjectName(to)
      const destination = assertBucketId(options.destinationBucket ?? bucketId)
      const source = await asCaller(
        ctx,
        call,
        { operation: 'read', ...objects(bucketId) },
        (tx) => findObjectOn(tx, bucketId, from),
        { readOnly: true },
      )
      const keep = options.copyMetadata ?? true
      const mimetype = (!keep && options.metadata?.mimetype) || source.metadata.mimetype
      checkUploadable(ctx, await limits(destination), mimetype, source.metadata.size)
      const version = randomUUID()
      await ctx.backend.copy(versionKey(source.version), versionKey(version))
      try {
        const id = await asCaller(ctx, call, { operation: 'write', ...objects(destination) }, (tx) =>
          writeObjectRow(tx, {
            bucketId: destination,
            name: to,
            version,
            owner: ownerOf(call.as),
            upsert: options.upsert ?? false,
            userMetadata: keep ? source.userMetadata : null,
            metadata: metadataFor({
              version,
              size: source.metadata.size,
              mimetype,
              cacheControl: (!keep && options.metadata?.cacheControl) || source.metadata.cacheControl,
              contentEncoding: keep
                ? source.metadata.contentEncoding
                : (options.metadata?.contentEncoding ?? source.metadata.contentEncoding) || undefined,
            }),
          }),
        )
        return { id, key: `${destination}/${to}` }
      } catch (error) {
        await ctx.backend.delete([versionKey(version)]).catch(() => {})
        throw error
      }
    },

    /**
     * Deletes objects by exact name (storage-js's `remove(paths)`; at most 1000) in one DELETE as
     * the caller; answers the rows that were deleted. Their bytes go through the outbox.
     */
    async remove(bucketId: string, names: readonly string[], call: CallOptions = {}) {
      assertBucketId(bucketId)
      if (names.length > MAX_BULK) {
        throw storageError('STORAGE_INVALID_REQUEST', `At most ${MAX_BULK} objects can be deleted at once`)
      }
      for (const name of names) assertObjectName(name)
      return asCaller(ctx, call, { operation: 'write', ...objects(bucketId) }, async (tx) => {
        const { rows } = await tx.query<ObjectRow>(
          `delete from storage.objects where bucket_id = $1 and name = any($2::text[]) returning ${OBJECT_COLUMNS}`,
          [bucketId, names],
        )
        return rows.map((row) => ({ ...fileObject(row), bucket_id: row.bucket_id }))
      })
    },

    /** Deletes one object; `NoSuchKey` when it does not exist or the caller may not delete it. */
    async removeOne(bucketId: string, name: string, call: CallOptions = {}) {
      const deleted = await this.remove(bucketId, [name], call)
      if (deleted.length === 0) throw noSuchKey()
      return { message: 'Successfully deleted' }
    },

    /**
     * Deletes every object under a folder (`prefix`), as a job (`storage:delete-prefix`) that
     * deletes in batches as the caller — the objects the caller may delete go; the others stay.
     * supabase/storage#207.
     */
    async deletePrefix(bucketId: string, prefix: string, call: CallOptions = {}) {
      assertBucketId(bucketId)
      const folder = folderPrefix(prefix)
      const principal = call.as ?? ctx.service
      return enqueuePrefixJob(
        ctx,
        DELETE_PREFIX_TASK,
        call,
        { operation: 'write', ...objects(bucketId) },
        {
          bucketId,
          prefix: folder,
          claims: { ...principal.claims, role: principal.role },
        },
      )
    },

    /** Moves every object under `from` to `to` (folders), as a job (`storage:move-prefix`) of batched UPDATEs as the caller. */
    async movePrefix(
      bucketId: string,
      from: string,
      to: string,
      options: { destinationBucket?: string } = {},
      call: CallOptions = {},
    ) {
      assertBucketId(bucketId)
      const destination = assertBucketId(options.destinationBucket ?? bucketId)
      const source = folderPrefix(from)
      const target = folderPrefix(to)
      if (source === '' || target === '') {
        throw storageError('STORAGE_INVALID_PARAMETER', 'Both folders must be named (not the bucket root)')
      }
      if (destination === bucketId && (target.startsWith(source) || source.startsWith(target))) {
        throw storageError('STORAGE_INVALID_PARAMETER', 'A folder cannot be moved into itself or its parent')
      }
      const principal = call.as ?? ctx.service
      return enqueuePrefixJob(
        ctx,
        MOVE_PREFIX_TASK,
        call,
        { operation: 'write', ...objects(bucketId, destination) },
        {
          bucketId,
          prefix: source,
          destinationBucket: destination,
          destinationPrefix: target,
          claims: { ...principal.claims, role: principal.role },
        },
      )
    },
  }
}

async function enqueuePrefixJob(
  ctx: StorageContext,
  task: string,
  call: CallOptions,
  access: Parameters<typeof asCaller>[2],
  payload: PrefixJobPayload,
): Promise<{ jobId: string }> {
  // The caller's scopes are checked now; RLS decides row by row when the job runs as them.
  const job = await asCaller(ctx, call, access, async () => null).then(() =>
    addJob(ctx.db, task, payload, { maxAttempts: 10 }),
  )
  return { jobId: job.id }
}

/** The move / copy / delete operations of `storage.api`. */
export type ManageApi = ReturnType<typeof createManageApi>
