import { randomUUID } from 'node:crypto'
import type { Transaction } from '@groundwork/core'
import { versionKey } from '../backends/types'
import type { BucketLimits } from '../buckets'
import { noSuchBucket, storageError } from '../errors'
import { asCaller, type CallOptions, ownerOf, type StorageContext } from '../internal/context'
import { meter } from '../internal/streams'
import { assertBucketId, assertContentType, assertObjectName, mimeAllowed } from '../names'
import { metadataFor } from './records'

/** What an upload stores. */
export interface UploadInput {
  bucketId: string
  name: string
  body: ReadableStream<Uint8Array>
  /** @default 'application/octet-stream' */
  contentType?: string
  /** @default 'max-age=3600' */
  cacheControl?: string
  contentEncoding?: string
  /** Supabase's `user_metadata`. */
  userMetadata?: Record<string, unknown> | null
  /** Replace an existing object (needs INSERT, SELECT and UPDATE policies); else an existing one is 409. */
  upsert?: boolean
  /** The body's declared size, when known: too large a body is refused before a byte is read. */
  size?: number | null
}

/** What an upload answers (the wire's `{ Id, Key }`). */
export interface UploadResult {
  id: string
  /** `bucket/name`. */
  key: string
  version: string
  size: number
}

/** Uploads at least this large (or of unknown size) are authorised before their bytes are read. */
const PRECHECK_BYTES = 1024 * 1024

class DryRun extends Error {}

/**
 * The largest body an upload into `bucket` may have: the bucket's `file_size_limit`, capped by
 * the service's `fileSizeLimit`.
 */
export function maxUploadBytes(ctx: StorageContext, bucket: BucketLimits): number {
  const global = ctx.options.fileSizeLimit
  return bucket.fileSizeLimit === null ? global : Math.min(global, bucket.fileSizeLimit)
}

/** The checks made before any byte is read: the bucket exists, the type is allowed, the declared size fits. */
export function checkUploadable(
  ctx: StorageContext,
  bucket: BucketLimits | null,
  contentType: string,
  size: number | null | undefined,
): BucketLimits {
  if (!bucket) throw noSuchBucket()
  if (!mimeAllowed(contentType, bucket.allowedMimeTypes)) {
    throw storageError('STORAGE_INVALID_MIME_TYPE', `mime type ${contentType} is not supported`)
  }
  const max = maxUploadBytes(ctx, bucket)
  if (size !== null && size !== undefined && size > max) throw tooLarge(max)
  return bucket
}

export function tooLarge(max: number) {
  return storageError('STORAGE_ENTITY_TOO_LARGE', 'The object exceeded the maximum allowed size', {
    details: { limit: max },
    headers: { connection: 'close' },
  })
}

interface RowInput {
  bucketId: string
  name: string
  version: string
  owner: { owner: string | null; ownerId: string | null }
  metadata: unknown
  userMetadata: Record<string, unknown> | null
  upsert: boolean
}

/** Inserts (or upserts) the object row on `tx`: the statement RLS judges. */
export async function writeObjectRow(tx: Transaction, row: RowInput): Promise<string> {
  const values = [
    row.bucketId,
    row.name,
    row.owner.owner,
    row.owner.ownerId,
    row.version,
    JSON.stringify(row.metadata),
    row.userMetadata === null ? null : JSON.stringify(row.userMetadata),
  ]
  const insert = `insert into storage.objects (bucket_id, name, owner, owner_id, version, metadata, user_metadata)
    values ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)`
  const { rows } = await tx.query<{ id: string }>(
    row.upsert
      ? `${insert} on conflict (bucket_id, name) do update set version = excluded.version,
           metadata = excluded.metadata, user_metadata = excluded.user_metadata, owner = excluded.owner,
           owner_id = excluded.owner_id, updated_at = now(), last_accessed_at = now()
         returning id`
      : `${insert} returning id`,
    values,
  )
  return rows[0]?.id as string
}

/**
 * Uploads an object: checks first (bucket, type, declared size — nothing read yet), then for
 * large or unsized bodies a dry run of the row write as the caller (rolled back), so a refused
 * upload is refused before its bytes are stored. The bytes stream to the backend under a new
 * version key, counted against the limit (413 the moment it is passed; the backend keeps
 * nothing). Then the row is written as the caller — RLS decides — and if that fails the new bytes
 * are deleted at once. A replaced version's bytes are deleted by the outbox trigger's job.
 */
export async function uploadObject(
  ctx: StorageContext,
  limits: (bucketId: string) => Promise<BucketLimits | null>,
  input: UploadInput,
  call: CallOptions & { owner?: { owner: string | null; ownerId: string | null } } = {},
): Promise<UploadResult> {
  const bucketId = assertBucketId(input.bucketId)
  const name = assertObjectName(input.name)
  const contentType = assertContentType(input.contentType ?? 'application/octet-stream')
  const bucket = checkUploadable(ctx, await limits(bucketId), contentType, input.size)
  const max = maxUploadBytes(ctx, bucket)
  const owner = call.owner ?? ownerOf(call.as)
  const upsert = input.upsert ?? false
  const access = { operation: 'write' as const, tables: ['storage.objects'], buckets: [bucketId] }
  const row = (version: string, size: number): RowInput => ({
    bucketId,
    name,
    version,
    owner,
    upsert,
    userMetadata: input.userMetadata ?? null,
    metadata: metadataFor({
      version,
      size,
      mimetype: contentType,
      cacheControl: input.cacheControl ?? 'max-age=3600',
      contentEncoding: input.contentEncoding,
    }),
  })

  if (input.size === null || input.size === undefined || input.size >= PRECHECK_BYTES) {
    await asCaller(ctx, call, access, async (tx) => {
      await writeObjectRow(tx, row(randomUUID(), 0))
      throw new DryRun()
    }).catch((error) => {
      if (!(error instanceof DryRun)) throw error
    })
  }

  const version = randomUUID()
  const key = versionKey(version)
  const { stream } = meter(input.body, max, () => tooLarge(max))
  const { size } = await ctx.backend.put(key, stream, {
    contentType,
    ...(input.size !== null && input.size !== undefined ? { size: input.size } : {}),
    ...(call.signal ? { signal: call.signal } : {}),
  })
  try {
    const id = await asCaller(ctx, call, access, (tx) => writeObjectRow(tx, row(version, size)))
    return { id, key: `${bucketId}/${name}`, version, size }
  } catch (error) {
    await ctx.backend.delete([key]).catch((cause) => {
      ctx.logger.warn(`groundwork storage: could not delete the bytes of a refused upload (${key})`, cause)
    })
    throw error
  }
}
