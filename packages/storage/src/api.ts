import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { type BackendObject, type ByteRange, versionKey } from './backends/types'
import {
  type Bucket,
  type BucketApi,
  type CreateBucketInput,
  createBucketApi,
  type ListBucketsOptions,
  type UpdateBucketInput,
} from './buckets'
import { noSuchBucket, storageError } from './errors'
import { asCaller, type CallOptions, ownerOf, type StorageContext } from './internal/context'
import { bytesStream } from './internal/streams'
import { assertBucketId, assertObjectName } from './names'
import { createListApi, type ListEntry, type ListOptions, type ListV2Options } from './objects/list'
import { type CopyOptions, createManageApi } from './objects/manage'
import { findObject, findObjectAsService, objectInfo, type StoredObject } from './objects/records'
import {
  checkUploadable,
  type UploadInput,
  type UploadResult,
  uploadObject,
  writeObjectRow,
} from './objects/upload'
import { type SignedUploadClaims, signToken, verifyToken } from './signing'
import {
  parseTransformationsString,
  sharpLoader,
  type TransformOptions,
  transformationsString,
  transformImage,
} from './transform'
import { createTusApi, type TusApi } from './tus'

/** An object found for reading; its bytes are opened only when asked (after conditional checks). */
export interface ObjectHandle {
  object: StoredObject
  /** Streams the bytes, or `range` of them. */
  open(range?: ByteRange, signal?: AbortSignal): Promise<BackendObject>
}

/** What a script uploads: a stream, bytes, text, or a Node stream. */
export type UploadBody = ReadableStream<Uint8Array> | Uint8Array | string | NodeJS.ReadableStream

/** Options of {@link StorageApi.upload}. */
export interface UploadOptions extends CallOptions {
  contentType?: string
  cacheControl?: string
  contentEncoding?: string
  metadata?: Record<string, unknown> | null
  upsert?: boolean
  /** The body's size when known (refused before reading when too large). */
  size?: number
}

/** A signed download URL: `signedURL` is relative to where the handler is mounted (`/object/sign/…?token=…`). */
export interface SignedUrl {
  signedURL: string
  token: string
}

/**
 * The typed surface of `createStorage()` (`storage.api`): everything the HTTP handler does, for
 * scripts and server code. Every call runs as `options.as` (a `Principal`: RLS decides) or, when
 * omitted, as the service role.
 *
 * @example
 * ```ts
 * await storage.api.createBucket({ id: 'avatars', public: true })
 * await storage.api.uploadFile('avatars', 'u1/me.png', './me.png', { contentType: 'image/png' })
 * const { signedURL } = await storage.api.createSignedUrl('avatars', 'u1/me.png', 60)
 * ```
 */
export interface StorageApi {
  listBuckets(options?: ListBucketsOptions, call?: CallOptions): Promise<Bucket[]>
  getBucket(id: string, call?: CallOptions): Promise<Bucket>
  createBucket(input: CreateBucketInput, call?: CallOptions): Promise<{ name: string }>
  updateBucket(id: string, input: UpdateBucketInput, call?: CallOptions): Promise<{ message: string }>
  emptyBucket(id: string, call?: CallOptions): Promise<{ message: string }>
  deleteBucket(id: string, call?: CallOptions): Promise<{ message: string }>

  /** Uploads (streams) a body; INSERT policies decide (upsert: also SELECT and UPDATE). */
  upload(bucketId: string, name: string, body: UploadBody, options?: UploadOptions): Promise<UploadResult>
  /** Uploads a file from disk, streamed. */
  uploadFile(bucketId: string, name: string, path: string, options?: UploadOptions): Promise<UploadResult>
  /** Streams an object (SELECT policies decide). */
  download(
    bucketId: string,
    name: string,
    options?: CallOptions & { range?: ByteRange },
  ): Promise<{ object: StoredObject } & BackendObject>
  /** An object's row, for reading as the caller. */
  getObject(bucketId: string, name: string, call?: CallOptions): Promise<ObjectHandle>
  /** An object of a public bucket (no caller needed). */
  getPublicObject(bucketId: string, name: string): Promise<ObjectHandle>
  /** An object opened by a signed URL's token (with the transformation it was signed for, if any). */
  getSignedObject(
    bucketId: string,
    name: string,
    token: string | null,
  ): Promise<ObjectHandle & { transform?: TransformOptions }>
  /** `GET /object/info` as data. */
  info(bucketId: string, name: string, call?: CallOptions): Promise<ReturnType<typeof objectInfo>>
  list(bucketId: string, options?: ListOptions, call?: CallOptions): Promise<ListEntry[]>
  listV2(
    bucketId: string,
    options?: ListV2Options,
    call?: CallOptions,
  ): ReturnType<ReturnType<typeof createListApi>['listV2']>
  move(
    bucketId: string,
    from: string,
    to: string,
    options?: CopyOptions,
    call?: CallOptions,
  ): Promise<{ message: string }>
  copy(
    bucketId: string,
    from: string,
    to: string,
    options?: CopyOptions,
    call?: CallOptions,
  ): Promise<{ id: string; key: string }>
  /** Deletes objects by name; answers the deleted rows. */
  remove(
    bucketId: string,
    names: readonly string[],
    call?: CallOptions,
  ): ReturnType<ReturnType<typeof createManageApi>['remove']>
  removeOne(bucketId: string, name: string, call?: CallOptions): Promise<{ message: string }>
  /** Deletes a folder recursively, as a job. */
  deletePrefix(bucketId: string, prefix: string, call?: CallOptions): Promise<{ jobId: string }>
  /** Moves a folder recursively, as a job. */
  movePrefix(
    bucketId: string,
    from: string,
    to: string,
    options?: { destinationBucket?: string },
    call?: CallOptions,
  ): Promise<{ jobId: string }>
  /** A signed download URL, valid `expiresIn` seconds; the caller must be able to read the object now. */
  createSignedUrl(
    bucketId: string,
    name: string,
    expiresIn: number,
    options?: CallOptions & { transform?: TransformOptions },
  ): Promise<SignedUrl>
  /** Signed URLs for many objects; those the caller cannot read get an error instead. */
  createSignedUrls(
    bucketId: string,
    names: readonly string[],
    expiresIn: number,
    call?: CallOptions,
  ): Promise<{ path: string; signedURL: string | null; error: string | null }[]>
  /**
   * A signed upload URL (`/object/upload/sign/…?token=…`, valid `signedUploadExpiresIn`): the
   * caller must be allowed to upload there now; the upload then runs as the service with the
   * caller as owner. The token is checked when the upload starts, so a slow upload is never cut off.
   */
  createSignedUploadUrl(
    bucketId: string,
    name: string,
    options?: CallOptions & { upsert?: boolean },
  ): Promise<{ url: string; token: string }>
  /** Uploads through a signed upload token. */
  uploadToSignedUrl(
    bucketId: string,
    name: string,
    token: string | null,
    body: UploadBody,
    options?: Omit<UploadOptions, 'as' | 'upsert'>,
  ): Promise<UploadResult>
  /** Transforms an image object (sharp). */
  renderImage(
    handle: ObjectHandle,
    transform: TransformOptions,
    accept?: string | null,
  ): Promise<{ data: Buffer; contentType: string }>
  /** Resumable (tus) uploads. */
  readonly resumable: TusApi
  /**
   * Ends expired resumable uploads and deletes stored bytes no row references that are older than
   * `olderThanMs` (a crash between storing bytes and committing their row leaves such bytes).
   * Run by the `storage:cleanup` task. @default olderThanMs 86400000 (1 day)
   */
  cleanup(options?: {
    olderThanMs?: number | undefined
  }): Promise<{ expiredUploads: number; orphans: number }>
}

function toStream(body: UploadBody): ReadableStream<Uint8Array> {
  if (body instanceof ReadableStream) return body
  if (typeof body === 'string') return bytesStream(Buffer.from(body))
  if (body instanceof Uint8Array) return bytesStream(body)
  return Readable.toWeb(Readable.from(body as AsyncIterable<Uint8Array>)) as ReadableStream<Uint8Array>
}

function sizeOf(body: UploadBody, given: number | undefined): number | undefined {
  if (given !== undefined) return given
  if (typeof body === 'string') return Buffer.byteLength(body)
  if (body instanceof Uint8Array) return body.byteLength
  return undefined
}

/** Builds `storage.api` over the context. */
export function createStorageApi(ctx: StorageContext): StorageApi {
  const buckets: BucketApi = createBucketApi(ctx)
  const limits = (id: string) => buckets.limits(id)
  // The public route must see a bucket made private at once: no cache there.
  const freshLimits = (id: string) => buckets.readLimits(id)
  const manage = createManageApi(ctx, limits)
  const lists = createListApi(ctx)
  const resumable = createTusApi(ctx, limits)
  const loadSharp = sharpLoader(ctx.options.sharp)

  const handle = (object: StoredObject): ObjectHandle => ({
    object,
    open: (range, signal) =>
      ctx.backend.get(versionKey(object.version), {
        ...(range ? { range } : {}),
        ...(signal ? { signal } : {}),
      }),
  })

  const upload: StorageApi['upload'] = (bucketId, name, body, options = {}) => {
    const input: UploadInput = {
      bucketId,
      name,
      body: toStream(body),
      upsert: options.upsert ?? false,
      userMetadata: options.metadata ?? null,
      size: sizeOf(body, options.size) ?? null,
    }
    if (options.contentType !== undefined) input.contentType = options.contentType
    if (options.cacheControl !== undefined) input.cacheControl = options.cacheControl
    if (options.contentEncoding !== undefined) input.contentEncoding = options.contentEncoding
    return uploadObject(ctx, limits, input, options)
  }

  return {
    listBuckets: buckets.listBuckets,
    getBucket: buckets.getBucket,
    createBucket: buckets.createBucket,
    updateBucket: buckets.updateBucket,
    emptyBucket: (id, call) => buckets.emptyBucket(id, call),
    deleteBucket: buckets.deleteBucket,
    upload,
    async uploadFile(bucketId, name, path, options = {}) {
      const { size } = await stat(path)
      return upload(bucketId, name, createReadStream(path, { highWaterMark: 1024 * 1024 }), {
        ...options,
        size,
      })
    },
    async download(bucketId, name, options = {}) {
      const found = await findObject(ctx, bucketId, name, options)
      const bytes = await handle(found).open(options.range, options.signal)
      return { object: found, ...bytes }
    },
    async getObject(bucketId, name, call = {}) {
      return handle(await findObject(ctx, bucketId, name, call))
    },
    async getPublicObject(bucketId, name) {
      assertBucketId(bucketId)
      const bucket = await freshLimits(bucketId)
      // A private bucket's object is "not found" on the public route, whether it exists or not.
      if (!bucket) throw noSuchBucket()
      if (!bucket.public) throw storageError('STORAGE_NO_SUCH_KEY', 'Object not found')
      return handle(await findObjectAsService(ctx, bucketId, name))
    },
    async getSignedObject(bucketId, name, token) {
      assertBucketId(bucketId)
      assertObjectName(name)
      const claims = verifyToken(token, ctx.signingKey, `${bucketId}/${name}`)
      const found = handle(await findObjectAsService(ctx, bucketId, name))
      return typeof claims.transformations === 'string' && claims.transformations !== ''
        ? { ...found, transform: parseTransformationsString(claims.transformations) }
        : found
    },
    async info(bucketId, name, call = {}) {
      return objectInfo(await findObject(ctx, bucketId, name, call))
    },
    list: lists.list,
    listV2: lists.listV2,
    move: manage.move,
    copy: manage.copy,
    remove: manage.remove,
    removeOne: (bucketId, name, call) => manage.removeOne(bucketId, name, call),
    deletePrefix: manage.deletePrefix,
    movePrefix: manage.movePrefix,
    async createSignedUrl(bucketId, name, expiresIn, options = {}) {
      assertExpiresIn(expiresIn)
      await findObject(ctx, bucketId, name, options)
      const transformations = options.transform ? transformationsString(options.transform) : ''
      const url = `${bucketId}/${name}`
      const token = signToken(transformations ? { url, transformations } : { url }, ctx.signingKey, expiresIn)
      const route = transformations ? 'render/image' : 'object'
      // The path unencoded, as Supabase answers: storage-js runs encodeURI over the whole URL itself.
      return { signedURL: `/${route}/sign/${url}?token=${token}`, token }
    },
    async createSignedUrls(bucketId, names, expiresIn, call = {}) {
      assertExpiresIn(expiresIn)
      assertBucketId(bucketId)
      if (names.length > 1000)
        throw storageError('STORAGE_INVALID_REQUEST', 'At most 1000 paths can be signed at once')
      const visible = new Set(
        (
          await Promise.all(
            names.map((name) =>
              findObject(ctx, bucketId, name, call).then(
                (found) => found.name,
                () => null,
              ),
            ),
          )
        ).filter((name): name is string => name !== null),
      )
      return names.map((path) => {
        if (!visible.has(path)) {
          return {
            path,
            signedURL: null,
            error: 'Either the object does not exist or you do not have access to it',
          }
        }
        const url = `${bucketId}/${path}`
        const token = signToken({ url }, ctx.signingKey, expiresIn)
        return { path, signedURL: `/object/sign/${url}?token=${token}`, error: null }
      })
    },
    async createSignedUploadUrl(bucketId, name, options = {}) {
      assertBucketId(bucketId)
      assertObjectName(name)
      // Asking proves the caller may upload there now: a dry run of the write, as them.
      const probe = await uploadProbe(ctx, limits, bucketId, name, options.upsert ?? false, options)
      const url = `${bucketId}/${name}`
      const claims: SignedUploadClaims = {
        url,
        upsert: options.upsert ?? false,
        ...(probe ? { owner: probe } : {}),
      }
      const token = signToken(claims, ctx.signingKey, ctx.options.signedUploadExpiresIn)
      return { url: `/object/upload/sign/${url}?token=${token}`, token }
    },
    async uploadToSignedUrl(bucketId, name, token, body, options = {}) {
      assertBucketId(bucketId)
      assertObjectName(name)
      const claims = verifyToken(token, ctx.signingKey, `${bucketId}/${name}`) as Partial<SignedUploadClaims>
      const owner = typeof claims.owner === 'string' ? claims.owner : undefined
      return uploadObject(
        ctx,
        limits,
        {
          bucketId,
          name,
          body: toStream(body),
          upsert: claims.upsert === true,
          userMetadata: options.metadata ?? null,
          size: sizeOf(body, options.size) ?? null,
          ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
          ...(options.cacheControl !== undefined ? { cacheControl: options.cacheControl } : {}),
          ...(options.contentEncoding !== undefined ? { contentEncoding: options.contentEncoding } : {}),
        },
        {
          ...(options.signal ? { signal: options.signal } : {}),
          owner: owner
            ? {
                owner: /^[0-9a-f-]{36}$/i.test(owner) ? owner : null,
                ownerId: owner,
              }
            : { owner: null, ownerId: null },
        },
      )
    },
    async renderImage(found, transform, accept = null) {
      const sharp = await loadSharp()
      const max = ctx.options.maxTransformInputBytes
      if (found.object.metadata.size > max) {
        throw storageError('STORAGE_ENTITY_TOO_LARGE', `Images larger than ${max} bytes are not transformed`)
      }
      const { body } = await found.open()
      const data = Buffer.from(await new Response(body).arrayBuffer())
      return transformImage(sharp, data, transform, accept)
    },
    resumable,
    async cleanup(options = {}) {
      const expiredUploads = await resumable.expire()
      const orphans = await sweepOrphans(ctx, options.olderThanMs ?? 24 * 3600 * 1000)
      return { expiredUploads, orphans }
    },
  }
}

/** Dry-runs an upload's row write as the caller; answers the caller's `sub` (the future owner). */
async function uploadProbe(
  ctx: StorageContext,
  limits: (id: string) => ReturnType<BucketApi['limits']>,
  bucketId: string,
  name: string,
  upsert: boolean,
  call: CallOptions,
): Promise<string | null> {
  const bucket = await limits(bucketId)
  if (!bucket) throw noSuchBucket()
  checkUploadable(ctx, bucket, 'application/octet-stream', null)
  const owner = ownerOf(call.as)
  const marker = new Error('dry run')
  await asCaller(
    ctx,
    call,
    { operation: 'write', tables: ['storage.objects'], buckets: [bucketId] },
    async (tx) => {
      await writeObjectRow(tx, {
        bucketId,
        name,
        version: randomUUID(),
        owner,
        upsert,
        userMetadata: null,
        metadata: {},
      })
      throw marker
    },
  ).catch((error) => {
    if (error !== marker) throw error
  })
  return owner.ownerId
}

/** Deletes `objects/` bytes older than `olderThanMs` that no row (and no upload in progress) references. */
async function sweepOrphans(ctx: StorageContext, olderThanMs: number): Promise<number> {
  const cutoff = Date.now() - olderThanMs
  let deleted = 0
  let batch: { key: string; version: string }[] = []
  const flush = async () => {
    if (batch.length === 0) return
    const { rows } = await ctx.db.query<{ v: string }>(
      `select v from unnest($1::text[]) v
       where not exists (select 1 from storage.objects o where o.version = v)
         and not exists (select 1 from storage.uploads u where u.version = v)`,
      [batch.map((entry) => entry.version)],
    )
    const orphans = new Set(rows.map((row) => row.v))
    const keys = batch.filter((entry) => orphans.has(entry.version)).map((entry) => entry.key)
    await ctx.backend.delete(keys)
    deleted += keys.length
    batch = []
  }
  for await (const entry of ctx.backend.list('objects/')) {
    if (entry.lastModified.getTime() > cutoff) continue
    const version = entry.key.split('/').pop() as string
    batch.push({ key: entry.key, version })
    if (batch.length >= 1000) await flush()
  }
  await flush()
  return deleted
}

function assertExpiresIn(expiresIn: number): void {
  if (!Number.isSafeInteger(expiresIn) || expiresIn < 1 || expiresIn > 10 * 365 * 24 * 3600) {
    throw storageError(
      'STORAGE_INVALID_PARAMETER',
      'Invalid Parameter expiresIn: a positive number of seconds',
    )
  }
}
