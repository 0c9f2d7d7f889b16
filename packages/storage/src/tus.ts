import { randomUUID } from 'node:crypto'
import type { Principal } from '@groundwork/core'
import { addJob } from '@groundwork/jobs'
import { partKey, versionKey } from './backends/types'
import type { BucketLimits } from './buckets'
import { storageError } from './errors'
import { asCaller, type CallOptions, ownerOf, type StorageContext } from './internal/context'
import { concatStreams, endOnError, meter } from './internal/streams'
import { assertBucketId, assertContentType, assertObjectName } from './names'
import { metadataFor } from './objects/records'
import { checkUploadable, type UploadResult, writeObjectRow } from './objects/upload'
import { DELETE_KEYS_TASK } from './tasks'

/** What creating a resumable upload takes (tus `Upload-Length` and Supabase's `Upload-Metadata`). */
export interface ResumableInput {
  bucketId: string
  name: string
  length: number
  contentType?: string
  cacheControl?: string
  userMetadata?: Record<string, unknown> | null
  upsert?: boolean
}

/** Where a resumable upload stands. */
export interface ResumableStatus {
  id: string
  offset: number
  length: number
  expiresAt: Date
}

interface UploadRow {
  id: string
  bucket_id: string
  name: string
  owner_sub: string | null
  owner_role: string
  upsert: boolean
  upload_length: string
  upload_offset: string
  content_type: string
  cache_control: string
  user_metadata: Record<string, unknown> | null
  version: string
  expires_at: Date
}

/** How long a PATCH holds an upload between refreshes, and how often it refreshes. */
const LOCK_SECONDS = 30
const LOCK_REFRESH_MS = 10_000

class DryRun extends Error {}

function uuidOrThrow(id: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    throw storageError('STORAGE_NO_SUCH_UPLOAD', 'Upload not found')
  }
  return id
}

/**
 * Resumable uploads (tus 1.0 core + creation + termination): state in `storage.uploads` so any
 * instance can serve the next request; the bytes of each PATCH are a part in the backend
 * (`uploads/<id>/<offset>`) — including the bytes that arrived before a dropped connection — and
 * the finished upload's parts are joined into the object's version. Authorised by the same
 * policies as a plain upload: a dry run of the row write when the upload is created, the real
 * write (as the caller of the last PATCH) when it completes.
 *
 * @see https://tus.io/protocols/resumable-upload
 */
export function createTusApi(
  ctx: StorageContext,
  limits: (bucketId: string) => Promise<BucketLimits | null>,
) {
  const access = (bucketId: string) => ({
    operation: 'write' as const,
    tables: ['storage.objects'],
    buckets: [bucketId],
  })

  async function load(id: string, principal: Principal): Promise<UploadRow> {
    const { rows } = await ctx.db.query<UploadRow>(
      'select * from storage.uploads where id = $1 and expires_at > now()',
      [uuidOrThrow(id)],
    )
    const row = rows[0]
    const sub = typeof principal.claims.sub === 'string' ? principal.claims.sub : null
    const isService = principal.role === ctx.db.roles.service && principal.scopes === undefined
    // Someone else's upload is "not found": its id tells them nothing.
    if (!row || (!isService && (row.owner_sub !== sub || row.owner_role !== principal.role))) {
      throw storageError('STORAGE_NO_SUCH_UPLOAD', 'Upload not found')
    }
    return row
  }

  async function finish(row: UploadRow, call: CallOptions): Promise<UploadResult> {
    const { rows: parts } = await ctx.db.query<{ key: string }>(
      'select key from storage.upload_parts where upload_id = $1 order by part_offset',
      [row.id],
    )
    const key = versionKey(row.version)
    const length = Number(row.upload_length)
    if (parts.length === 0) {
      await ctx.backend.put(key, new ReadableStream({ start: (controller) => controller.close() }))
    } else if (parts.length === 1) {
      await ctx.backend.copy(parts[0]?.key as string, key)
    } else {
      await ctx.backend.put(
        key,
        concatStreams(parts.map((part) => async () => (await ctx.backend.get(part.key)).body)),
        { contentType: row.content_type },
      )
    }
    const discard = async () => {
      await ctx.db.transaction(async (tx) => {
        await tx.query('delete from storage.uploads where id = $1', [row.id])
        for (let i = 0; i < parts.length; i += 1000) {
          await addJob(tx, DELETE_KEYS_TASK, { keys: parts.slice(i, i + 1000).map((part) => part.key) })
        }
      })
    }
    try {
      const id = await asCaller(ctx, call, access(row.bucket_id), (tx) =>
        writeObjectRow(tx, {
          bucketId: row.bucket_id,
          name: row.name,
          version: row.version,
          owner: ownerOf(call.as),
          upsert: row.upsert,
          userMetadata: row.user_metadata,
          metadata: metadataFor({
            version: row.version,
            size: length,
            mimetype: row.content_type,
            cacheControl: row.cache_control,
          }),
        }),
      )
      await discard()
      return { id, key: `${row.bucket_id}/${row.name}`, version: row.version, size: length }
    } catch (error) {
      await ctx.backend.delete([key]).catch(() => {})
      await discard().catch(() => {})
      throw error
    }
  }

  return {
    /** Creates an upload after the same checks as a plain upload (bucket, type, size, policies). */
    async create(input: ResumableInput, call: CallOptions = {}): Promise<ResumableStatus> {
      const bucketId = assertBucketId(input.bucketId)
      const name = assertObjectName(input.name)
      const contentType = assertContentType(input.contentType ?? 'application/octet-stream')
      if (!Number.isSafeInteger(input.length) || input.length < 0) {
        throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter Upload-Length')
      }
      checkUploadable(ctx, await limits(bucketId), contentType, input.length)
      const principal = call.as ?? ctx.service
      const owner = ownerOf(principal)
      await asCaller(ctx, call, access(bucketId), async (tx) => {
        await writeObjectRow(tx, {
          bucketId,
          name,
          version: randomUUID(),
          owner,
          upsert: input.upsert ?? false,
          userMetadata: null,
          metadata: {},
        })
        throw new DryRun()
      }).catch((error) => {
        if (!(error instanceof DryRun)) throw error
      })
      const id = randomUUID()
      const { rows } = await ctx.db.query<{ expires_at: Date }>(
        `insert into storage.uploads (id, bucket_id, name, owner_sub, owner_role, upsert, upload_length, content_type,
           cache_control, user_metadata, version, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now() + make_interval(secs => $12))
         returning expires_at`,
        [
          id,
          bucketId,
          name,
          owner.ownerId,
          principal.role,
          input.upsert ?? false,
          input.length,
          contentType,
          input.cacheControl ?? 'max-age=3600',
          input.userMetadata ? JSON.stringify(input.userMetadata) : null,
          randomUUID(),
          ctx.options.resumableExpiresIn,
        ],
      )
      const status = { id, offset: 0, length: input.length, expiresAt: rows[0]?.expires_at as Date }
      // An empty upload is complete as soon as it exists.
      if (input.length === 0) await finish(await load(id, principal), call)
      return status
    },

    async status(id: string, call: CallOptions = {}): Promise<ResumableStatus> {
      const row = await load(id, call.as ?? ctx.service)
      return {
        id,
        offset: Number(row.upload_offset),
        length: Number(row.upload_length),
        expiresAt: row.expires_at,
      }
    },

    /**
     * Appends bytes at `offset` (which must be the upload's offset: 409 otherwise; 423 while another
     * PATCH holds it). Bytes that arrived before the client's connection dropped are kept. When the
     * last byte arrives the object is written (as the caller) and answered.
     */
    async append(
      id: string,
      offset: number,
      body: ReadableStream<Uint8Array>,
      call: CallOptions = {},
    ): Promise<ResumableStatus & { object?: UploadResult }> {
      const principal = call.as ?? ctx.service
      const row = await load(id, principal)
      const length = Number(row.upload_length)
      if (Number(row.upload_offset) !== offset) {
        throw storageError(
          'STORAGE_TUS_CONFLICT',
          `Upload-Offset ${offset} does not match the upload's offset`,
        )
      }
      const token = randomUUID()
      const { rowCount } = await ctx.db.query(
        `update storage.uploads set locked_until = now() + make_interval(secs => $4), lock_token = $3
         where id = $1 and upload_offset = $2 and (locked_until is null or locked_until < now())`,
        [id, offset, token, LOCK_SECONDS],
      )
      if (!rowCount)
        throw storageError('STORAGE_RESOURCE_LOCKED', 'The upload is being written by another request')
      const refresh = setInterval(() => {
        ctx.db
          .query(
            'update storage.uploads set locked_until = now() + make_interval(secs => $3) where id = $1 and lock_token = $2',
            [id, token, LOCK_SECONDS],
          )
          .catch(() => {})
      }, LOCK_REFRESH_MS)
      refresh.unref()
      let received = 0
      try {
        const tolerant = endOnError(body)
        const remaining = length - offset
        const { stream, meter: counted } = meter(tolerant.stream, remaining, () =>
          storageError('STORAGE_ENTITY_TOO_LARGE', 'The request carries more bytes than the upload has left'),
        )
        if (remaining > 0) {
          await ctx.backend.put(partKey(id, offset), stream, { contentType: 'application/octet-stream' })
        } else {
          await body.cancel().catch(() => {})
        }
        received = counted.bytes
      } finally {
        clearInterval(refresh)
        await ctx.db.transaction(async (tx) => {
          if (received > 0) {
            await tx.query(
              'insert into storage.upload_parts (upload_id, part_offset, size, key) values ($1, $2, $3, $4)',
              [id, offset, received, partKey(id, offset)],
            )
          }
          await tx.query(
            `update storage.uploads set upload_offset = upload_offset + $3, locked_until = null, lock_token = null
             where id = $1 and lock_token = $2`,
            [id, token, received],
          )
        })
      }
      const next = offset + received
      const status = { id, offset: next, length, expiresAt: row.expires_at }
      if (next < length) return status
      return { ...status, object: await finish({ ...row, upload_offset: String(next) }, call) }
    },

    /** Ends an upload: its state and the parts received so far are deleted (tus termination). */
    async terminate(id: string, call: CallOptions = {}): Promise<void> {
      const row = await load(id, call.as ?? ctx.service)
      await ctx.db.transaction(async (tx) => {
        const { rows } = await tx.query<{ key: string }>(
          'delete from storage.upload_parts where upload_id = $1 returning key',
          [row.id],
        )
        await tx.query('delete from storage.uploads where id = $1', [row.id])
        for (let i = 0; i < rows.length; i += 1000) {
          await addJob(tx, DELETE_KEYS_TASK, { keys: rows.slice(i, i + 1000).map((r) => r.key) })
        }
      })
    },

    /** Deletes expired uploads and their parts (run by the `storage:cleanup` task); answers how many. */
    async expire(): Promise<number> {
      return ctx.db.transaction(async (tx) => {
        const { rows } = await tx.query<{ id: string; key: string | null }>(
          `with gone as (delete from storage.uploads where expires_at < now() returning id)
           select g.id, p.key from gone g left join storage.upload_parts p on p.upload_id = g.id`,
        )
        const keys = rows.flatMap((row) => (row.key ? [row.key] : []))
        for (let i = 0; i < keys.length; i += 1000) {
          await addJob(tx, DELETE_KEYS_TASK, { keys: keys.slice(i, i + 1000) })
        }
        return new Set(rows.map((row) => row.id)).size
      })
    },
  }
}

/** The resumable-upload operations of `storage.api`. */
export type TusApi = ReturnType<typeof createTusApi>
