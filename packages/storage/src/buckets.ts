import { recordAudit, type Transaction } from '@groundwork/core'
import { noSuchBucket, storageError } from './errors'
import { asCaller, type CallOptions, ownerOf, type StorageContext } from './internal/context'
import { assertBucketId, escapeLike, parseFileSizeLimit } from './names'

/** A bucket as Supabase's API answers it (`storage-js`'s `Bucket`). */
export interface Bucket {
  id: string
  name: string
  owner: string
  public: boolean
  file_size_limit: number | null
  allowed_mime_types: string[] | null
  created_at: string
  updated_at: string
}

/** What creating a bucket takes (`storage-js`'s `createBucket(id, options)`). */
export interface CreateBucketInput {
  id: string
  /** @default id */
  name?: string
  /** @default false */
  public?: boolean
  /** Bytes, or `'20MB'`-style text; null for none (the global limit applies). */
  fileSizeLimit?: number | string | null
  /** Allowed content types, wildcards included (`image/*`); null or empty for any. */
  allowedMimeTypes?: string[] | null
}

/** What updating a bucket takes; absent fields keep their values. */
export interface UpdateBucketInput {
  public?: boolean
  fileSizeLimit?: number | string | null
  allowedMimeTypes?: string[] | null
}

/** Options of listing buckets (`storage-js`'s `ListBucketOptions`). */
export interface ListBucketsOptions {
  limit?: number
  offset?: number
  sortColumn?: 'id' | 'name' | 'created_at' | 'updated_at'
  sortOrder?: 'asc' | 'desc'
  search?: string
}

/** The limits an upload into a bucket obeys (read as the service: uploads need no bucket policy, as on Supabase). */
export interface BucketLimits {
  id: string
  public: boolean
  fileSizeLimit: number | null
  allowedMimeTypes: string[] | null
}

const COLUMNS = `id, name, coalesce(owner_id, owner::text, '') as owner, public, file_size_limit::float8 as file_size_limit,
  allowed_mime_types, created_at, updated_at`

interface BucketRow {
  id: string
  name: string
  owner: string
  public: boolean
  file_size_limit: number | null
  allowed_mime_types: string[] | null
  created_at: Date
  updated_at: Date
}

function toBucket(row: BucketRow): Bucket {
  return {
    id: row.id,
    name: row.name,
    owner: row.owner,
    public: row.public,
    file_size_limit: row.file_size_limit,
    allowed_mime_types: row.allowed_mime_types,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  }
}

function mimeTypes(value: unknown): string[] | null | undefined {
  if (value === undefined) return undefined
  if (value === null) return null
  if (
    !Array.isArray(value) ||
    value.length > 200 ||
    value.some((v) => typeof v !== 'string' || !/^[\w.+*-]+\/[\w.+*-]+$/.test(v))
  ) {
    throw storageError('STORAGE_INVALID_REQUEST', 'allowed_mime_types must be a list of type/subtype values')
  }
  return value.length === 0 ? null : (value as string[])
}

/**
 * How long an upload limit read stays cached. Every upload needs the bucket's limits before it
 * reads a byte; caching them saves a round trip per upload. A change made through this instance
 * applies at once; one made elsewhere (another instance, SQL) within this bound.
 */
export const LIMITS_CACHE_MS = 1000

/**
 * Records a bucket change in auth's audit log (core's `recordAudit`) in the change's own
 * transaction, so the change and its entry commit together (a refused or rolled-back change logs
 * nothing; a crash cannot keep one without the other). The caller's role may not write `auth`:
 * the entry is written as the connecting role (`reset role`), and the caller's role is set back
 * at once, so a statement added after it still runs under the caller's RLS.
 */
async function audit(tx: Transaction, call: CallOptions, action: string, traits: Record<string, unknown>) {
  const { rows } = await tx.query<{ role: string }>(`select current_setting('role') as role`)
  await tx.query('reset role')
  await recordAudit(tx, { action, logType: 'storage', actor: call.as ?? 'system', traits })
  await tx.query(`select set_config('role', $1, true)`, [rows[0]?.role ?? 'none'])
}

/** Bucket operations, run as the caller: RLS on `storage.buckets` decides (service_role bypasses). */
export function createBucketApi(ctx: StorageContext) {
  const objectsTable = { tables: ['storage.buckets'] }
  const cache = new Map<string, { limits: BucketLimits | null; at: number }>()

  return {
    async listBuckets(options: ListBucketsOptions = {}, call: CallOptions = {}): Promise<Bucket[]> {
      const limit = options.limit ?? 100
      const offset = options.offset ?? 0
      if (
        !Number.isSafeInteger(limit) ||
        limit < 1 ||
        limit > 1000 ||
        !Number.isSafeInteger(offset) ||
        offset < 0
      ) {
        throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter limit or offset')
      }
      const column = options.sortColumn ?? 'name'
      if (!['id', 'name', 'created_at', 'updated_at'].includes(column)) {
        throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter sortColumn')
      }
      const order = options.sortOrder === 'desc' ? 'desc' : 'asc'
      const search = options.search ? `%${escapeLike(options.search)}%` : null
      return asCaller(
        ctx,
        call,
        { operation: 'read', ...objectsTable },
        async (tx) => {
          const { rows } = await tx.query<BucketRow>(
            `select ${COLUMNS} from storage.buckets where ($1::text is null or name ilike $1)
           order by ${column} ${order}, id limit $2 offset $3`,
            [search, limit, offset],
          )
          return rows.map(toBucket)
        },
        { readOnly: true },
      )
    },

    async getBucket(id: string, call: CallOptions = {}): Promise<Bucket> {
      assertBucketId(id)
      const bucket = await asCaller(
        ctx,
        call,
        { operation: 'read', ...objectsTable, buckets: [id] },
        async (tx) => {
          const { rows } = await tx.query<BucketRow>(`select ${COLUMNS} from storage.buckets where id = $1`, [
            id,
          ])
          return rows[0]
        },
        { readOnly: true },
      )
      if (!bucket) throw noSuchBucket()
      return toBucket(bucket)
    },

    async createBucket(input: CreateBucketInput, call: CallOptions = {}): Promise<{ name: string }> {
      const id = assertBucketId(input.id)
      const name = input.name === undefined ? id : assertBucketId(input.name)
      const limit = parseFileSizeLimit(input.fileSizeLimit) ?? null
      const allowed = mimeTypes(input.allowedMimeTypes) ?? null
      if (input.public !== undefined && typeof input.public !== 'boolean') {
        throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter public')
      }
      const { owner, ownerId } = ownerOf(call.as)
      await asCaller(
        ctx,
        call,
        { operation: 'write', ...objectsTable, buckets: [id] },
        async (tx) => {
          await tx.query(
            `insert into storage.buckets (id, name, owner, owner_id, public, file_size_limit, allowed_mime_types)
             values ($1, $2, $3, $4, $5, $6, $7)`,
            [id, name, owner, ownerId, input.public ?? false, limit, allowed],
          )
          await audit(tx, call, 'storage.bucket_created', { bucket: id, public: input.public ?? false })
        },
        { duplicate: 'STORAGE_BUCKET_EXISTS' },
      )
      cache.delete(id)
      return { name: id }
    },

    async updateBucket(
      id: string,
      input: UpdateBucketInput,
      call: CallOptions = {},
    ): Promise<{ message: string }> {
      assertBucketId(id)
      const limit = parseFileSizeLimit(input.fileSizeLimit)
      const allowed = mimeTypes(input.allowedMimeTypes)
      if (input.public !== undefined && typeof input.public !== 'boolean') {
        throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter public')
      }
      const updated = await asCaller(
        ctx,
        call,
        { operation: 'write', ...objectsTable, buckets: [id] },
        async (tx) => {
          const { rowCount } = await tx.query(
            `update storage.buckets set
             public = coalesce($2, public),
             file_size_limit = case when $3 then $4 else file_size_limit end,
             allowed_mime_types = case when $5 then $6 else allowed_mime_types end,
             updated_at = now()
           where id = $1`,
            [
              id,
              input.public ?? null,
              limit !== undefined,
              limit ?? null,
              allowed !== undefined,
              allowed ?? null,
            ],
          )
          if (rowCount) {
            await audit(tx, call, 'storage.bucket_updated', { bucket: id, fields: Object.keys(input) })
          }
          return rowCount ?? 0
        },
      )
      cache.delete(id)
      if (updated === 0) throw noSuchBucket()
      return { message: 'Successfully updated' }
    },

    /**
     * Deletes every object of the bucket the caller may delete (RLS on `storage.objects`), in one
     * statement; their bytes go through the outbox (jobs).
     */
    async emptyBucket(id: string, call: CallOptions = {}): Promise<{ message: string }> {
      assertBucketId(id)
      await this.getBucket(id, call)
      await asCaller(
        ctx,
        call,
        { operation: 'write', tables: ['storage.objects'], buckets: [id] },
        async (tx) => {
          await tx.query('delete from storage.objects where bucket_id = $1', [id])
          await audit(tx, call, 'storage.bucket_emptied', { bucket: id })
        },
      )
      return { message: 'Successfully emptied' }
    },

    /** Deletes an empty bucket; one with objects (visible to the caller or not) is refused with 409. */
    async deleteBucket(id: string, call: CallOptions = {}): Promise<{ message: string }> {
      assertBucketId(id)
      const { rows } = await ctx.db.query<{ found: boolean }>(
        'select exists (select 1 from storage.objects where bucket_id = $1) as found',
        [id],
      )
      if (rows[0]?.found) {
        throw storageError('STORAGE_BUCKET_NOT_EMPTY', 'The bucket you tried to delete is not empty')
      }
      const deleted = await asCaller(
        ctx,
        call,
        { operation: 'write', ...objectsTable, buckets: [id] },
        async (tx) => {
          const { rowCount } = await tx.query('delete from storage.buckets where id = $1', [id])
          if (rowCount) await audit(tx, call, 'storage.bucket_deleted', { bucket: id })
          return rowCount ?? 0
        },
      )
      cache.delete(id)
      if (deleted === 0) throw noSuchBucket()
      return { message: 'Successfully deleted' }
    },

    /** The bucket's upload limits, read as the service (null when it does not exist); cached {@link LIMITS_CACHE_MS}. */
    async limits(id: string): Promise<BucketLimits | null> {
      const cached = cache.get(id)
      if (cached && Date.now() - cached.at < LIMITS_CACHE_MS) return cached.limits
      const limits = await this.readLimits(id)
      if (cache.size > 10_000) cache.clear()
      cache.set(id, { limits, at: Date.now() })
      return limits
    },

    async readLimits(id: string): Promise<BucketLimits | null> {
      const { rows } = await ctx.db.query<{
        id: string
        public: boolean
        file_size_limit: string | null
        allowed_mime_types: string[] | null
      }>('select id, public, file_size_limit, allowed_mime_types from storage.buckets where id = $1', [id])
      const row = rows[0]
      if (!row) return null
      return {
        id: row.id,
        public: row.public,
        fileSizeLimit: row.file_size_limit === null ? null : Number(row.file_size_limit),
        allowedMimeTypes: row.allowed_mime_types,
      }
    },
  }
}

/** The bucket operations of `storage.api`. */
export type BucketApi = ReturnType<typeof createBucketApi>
