import type { Transaction } from '@groundwork/core'
import { noSuchKey } from '../errors'
import { asCaller, type CallOptions, type StorageContext } from '../internal/context'
import { assertBucketId, assertObjectName } from '../names'

/** Supabase's `objects.metadata`: what the bytes are (storage-js's `FileMetadata`). */
export interface ObjectMetadata {
  eTag: string
  size: number
  mimetype: string
  cacheControl: string
  lastModified: string
  contentLength: number
  httpStatusCode: number
  contentEncoding?: string
}

/** A stored object, as the service reads it. */
export interface StoredObject {
  id: string
  bucketId: string
  name: string
  owner: string | null
  version: string
  metadata: ObjectMetadata
  userMetadata: Record<string, unknown> | null
  createdAt: Date
  updatedAt: Date
  lastAccessedAt: Date
}

/** The columns every read selects, and how a row becomes a {@link StoredObject}. */
export const OBJECT_COLUMNS = `id, bucket_id, name, coalesce(owner_id, owner::text) as owner, version, metadata,
  user_metadata, created_at, updated_at, last_accessed_at`

export interface ObjectRow {
  id: string
  bucket_id: string
  name: string
  owner: string | null
  version: string
  metadata: ObjectMetadata | null
  user_metadata: Record<string, unknown> | null
  created_at: Date
  updated_at: Date
  last_accessed_at: Date
}

export function toStoredObject(row: ObjectRow): StoredObject {
  return {
    id: row.id,
    bucketId: row.bucket_id,
    name: row.name,
    owner: row.owner,
    version: row.version,
    metadata: row.metadata ?? emptyMetadata(row.version, row.updated_at),
    userMetadata: row.user_metadata,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastAccessedAt: row.last_accessed_at,
  }
}

function emptyMetadata(version: string, updatedAt: Date): ObjectMetadata {
  return {
    eTag: etagOf(version),
    size: 0,
    mimetype: 'application/octet-stream',
    cacheControl: 'no-cache',
    lastModified: updatedAt.toISOString(),
    contentLength: 0,
    httpStatusCode: 200,
  }
}

/**
 * The strong ETag of a version: every write stores new bytes under a new version, so the version
 * id changes exactly when the content does (computing an MD5 of every upload would cost a pass
 * over the bytes for the same guarantee).
 */
export function etagOf(version: string): string {
  return `"${version.replaceAll('-', '')}"`
}

/** `objects.metadata` for bytes just written. */
export function metadataFor(input: {
  version: string
  size: number
  mimetype: string
  cacheControl: string
  contentEncoding?: string | undefined
}): ObjectMetadata {
  return {
    eTag: etagOf(input.version),
    size: input.size,
    mimetype: input.mimetype,
    cacheControl: input.cacheControl,
    lastModified: new Date().toISOString(),
    contentLength: input.size,
    httpStatusCode: 200,
    ...(input.contentEncoding ? { contentEncoding: input.contentEncoding } : {}),
  }
}

/** Reads one object on `tx` (RLS applies when `tx` runs as a caller); throws `NoSuchKey` when not visible. */
export async function findObjectOn(tx: Transaction, bucketId: string, name: string): Promise<StoredObject> {
  const { rows } = await tx.query<ObjectRow>(
    `select ${OBJECT_COLUMNS} from storage.objects where bucket_id = $1 and name = $2`,
    [bucketId, name],
  )
  if (!rows[0]) throw noSuchKey()
  return toStoredObject(rows[0])
}

/** Reads one object as the caller: SELECT policies decide. */
export function findObject(
  ctx: StorageContext,
  bucketId: string,
  name: string,
  call: CallOptions,
): Promise<StoredObject> {
  assertBucketId(bucketId)
  assertObjectName(name)
  return asCaller(
    ctx,
    call,
    { operation: 'read', tables: ['storage.objects'], buckets: [bucketId] },
    (tx) => findObjectOn(tx, bucketId, name),
    { readOnly: true },
  )
}

/** Reads one object as the service (public buckets, signed URLs). */
export async function findObjectAsService(
  ctx: StorageContext,
  bucketId: string,
  name: string,
): Promise<StoredObject> {
  assertBucketId(bucketId)
  assertObjectName(name)
  const { rows } = await ctx.db.query<ObjectRow>(
    `select ${OBJECT_COLUMNS} from storage.objects where bucket_id = $1 and name = $2`,
    [bucketId, name],
  )
  if (!rows[0]) throw noSuchKey()
  return toStoredObject(rows[0])
}

/** An object as `GET /object/info/…` answers (storage-js's `FileObjectV2`, camel-cased by the client). */
export function objectInfo(object: StoredObject) {
  return {
    id: object.id,
    name: object.name,
    version: object.version,
    bucket_id: object.bucketId,
    size: object.metadata.size,
    content_type: object.metadata.mimetype,
    cache_control: object.metadata.cacheControl,
    etag: object.metadata.eTag,
    metadata: object.userMetadata,
    last_modified: object.updatedAt.toISOString(),
    created_at: object.createdAt.toISOString(),
  }
}

/** An object as listings and bulk deletes answer (storage-js's `FileObject`). */
export function fileObject(row: ObjectRow, name = row.name) {
  return {
    name,
    id: row.id,
    updated_at: row.updated_at.toISOString(),
    created_at: row.created_at.toISOString(),
    last_accessed_at: row.last_accessed_at.toISOString(),
    metadata: row.metadata,
  }
}
