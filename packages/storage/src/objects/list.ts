import { storageError } from '../errors'
import { asCaller, type CallOptions, type StorageContext } from '../internal/context'
import { assertBucketId, escapeLike, folderPrefix, MAX_NAME_BYTES } from '../names'
import type { ObjectMetadata } from './records'

/** Options of the v1 listing (storage-js's `list(path, options)`). */
export interface ListOptions {
  /** The folder to list (`''` for the bucket root). */
  prefix?: string
  /** @default 100 */
  limit?: number
  /** @default 0 */
  offset?: number
  /** @default { column: 'name', order: 'asc' } */
  sortBy?: { column?: string; order?: string }
  /** Entries whose name contains this (case-insensitive). */
  search?: string
}

/** Options of the v2 listing (storage-js's `listV2(options)`). */
export interface ListV2Options {
  /** A raw key prefix (not necessarily a folder). */
  prefix?: string
  /** @default 1000 */
  limit?: number
  /** `nextCursor` of the previous page. */
  cursor?: string
  /** Group keys by `/` into folders (one level). @default false */
  with_delimiter?: boolean
  sortBy?: { column?: string; order?: string }
}

/** One entry of a v1 listing: a file, or a folder (all fields but `name` null). */
export interface ListEntry {
  name: string
  id: string | null
  updated_at: string | null
  created_at: string | null
  last_accessed_at: string | null
  metadata: ObjectMetadata | null
}

interface EntryRow {
  name: string
  id: string | null
  updated_at: Date | null
  created_at: Date | null
  last_accessed_at: Date | null
  metadata: ObjectMetadata | null
  folder: boolean
}

const SORT_COLUMNS = ['name', 'updated_at', 'created_at', 'last_accessed_at']

function pageNumber(value: unknown, fallback: number, max: number, what: string): number {
  if (value === undefined || value === null) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw storageError('STORAGE_INVALID_PARAMETER', `Invalid Parameter ${what}`)
  }
  return value
}

function sortOf(sortBy: ListOptions['sortBy'], columns: string[]): { column: string; order: 'asc' | 'desc' } {
  const column = sortBy?.column ?? 'name'
  if (typeof column !== 'string' || !columns.includes(column)) {
    throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter sortBy.column')
  }
  return { column, order: sortBy?.order === 'desc' ? 'desc' : 'asc' }
}

function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString()
}

/**
 * The listings, as the caller: only rows their SELECT policies let them see are listed, and
 * folders are derived from those rows (a folder holding nothing visible does not appear).
 */
export function createListApi(ctx: StorageContext) {
  return {
    /** One folder level: sub-folders and files, Supabase's `storage.search` shape. */
    async list(bucketId: string, options: ListOptions = {}, call: CallOptions = {}): Promise<ListEntry[]> {
      assertBucketId(bucketId)
      const prefix = folderPrefix(options.prefix)
      const limit = pageNumber(options.limit, 100, 10_000, 'limit')
      const offset = pageNumber(options.offset, 0, 1e12, 'offset')
      const { column, order } = sortOf(options.sortBy, SORT_COLUMNS)
      if (options.search !== undefined && typeof options.search !== 'string') {
        throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter search')
      }
      const search = options.search ? `%${escapeLike(options.search.slice(0, MAX_NAME_BYTES))}%` : null
      const rows = await asCaller(
        ctx,
        call,
        { operation: 'read', tables: ['storage.objects'], buckets: [bucketId] },
        async (tx) =>
          (
            await tx.query<EntryRow>(
              `with visible as (
                 select id, substr(name, char_length($2) + 1) as rest, updated_at, created_at, last_accessed_at, metadata
                 from storage.objects where bucket_id = $1 and name like $3 escape '\\'
               ), entries as (
                 select distinct split_part(rest, '/', 1) as name, null::uuid as id, null::timestamptz as updated_at,
                   null::timestamptz as created_at, null::timestamptz as last_accessed_at, null::jsonb as metadata, true as folder
                 from visible where strpos(rest, '/') > 0
                 union all
                 select rest, id, updated_at, created_at, last_accessed_at, metadata, false from visible where strpos(rest, '/') = 0
               )
               select * from entries where ($4::text is null or name ilike $4 escape '\\')
               order by ${column === 'name' ? 'name collate "C"' : column} ${order} nulls first, name collate "C"
               limit $5 offset $6`,
              [bucketId, prefix, `${escapeLike(prefix)}%`, search, limit, offset],
            )
          ).rows,
        { readOnly: true },
      )
      return rows.map((row) => ({
        name: row.name,
        id: row.id,
        updated_at: iso(row.updated_at),
        created_at: iso(row.created_at),
        last_accessed_at: iso(row.last_accessed_at),
        metadata: row.metadata,
      }))
    },

    /** A flat (or one-level, `with_delimiter`) page of keys under a raw prefix, with a cursor. */
    async listV2(bucketId: string, options: ListV2Options = {}, call: CallOptions = {}) {
      assertBucketId(bucketId)
      if (options.prefix !== undefined && typeof options.prefix !== 'string') {
        throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter prefix')
      }
      const prefix = (options.prefix ?? '').replace(/^\/+/, '')
      const limit = Math.max(1, pageNumber(options.limit, 1000, 1000, 'limit'))
      const { column, order } = sortOf(options.sortBy, ['name', 'updated_at', 'created_at'])
      const cursor = decodeCursor(options.cursor)
      const delimiter = options.with_delimiter === true
      const byName = column === 'name'
      const rows = await asCaller(
        ctx,
        call,
        { operation: 'read', tables: ['storage.objects'], buckets: [bucketId] },
        async (tx) =>
          (
            await tx.query<EntryRow & { key: string }>(
              `with visible as (
                 select id, name, substr(name, char_length($2) + 1) as rest, updated_at, created_at, last_accessed_at, metadata
                 from storage.objects where bucket_id = $1 and name like $3 escape '\\'
               ), entries as (
                 ${
                   delimiter
                     ? `select distinct $2 || split_part(rest, '/', 1) || '/' as key, null::uuid as id,
                          null::timestamptz as updated_at, null::timestamptz as created_at,
                          null::timestamptz as last_accessed_at, null::jsonb as metadata, true as folder
                        from visible where strpos(rest, '/') > 0
                        union all
                        select name, id, updated_at, created_at, last_accessed_at, metadata, false
                        from visible where strpos(rest, '/') = 0`
                     : 'select name as key, id, updated_at, created_at, last_accessed_at, metadata, false as folder from visible'
                 }
               )
               select key as name, * from entries
               where ($4::text is null or key collate "C" ${order === 'asc' ? '>' : '<'} $4)
               order by ${byName ? 'key collate "C"' : `${column} ${order} nulls first, key collate "C"`} ${byName ? order : ''}
               limit $5 offset $6`,
              [
                bucketId,
                prefix,
                `${escapeLike(prefix)}%`,
                byName ? (cursor.after ?? null) : null,
                limit + 1,
                byName ? 0 : (cursor.offset ?? 0),
              ],
            )
          ).rows,
        { readOnly: true },
      )
      const hasNext = rows.length > limit
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      const next =
        !hasNext || !last
          ? undefined
          : encodeCursor(byName ? { after: last.key } : { offset: (cursor.offset ?? 0) + limit })
      return {
        hasNext,
        folders: page.filter((row) => row.folder).map((row) => ({ key: row.key, name: row.key })),
        objects: page
          .filter((row) => !row.folder)
          .map((row) => ({
            id: row.id,
            key: row.key,
            name: row.key,
            updated_at: iso(row.updated_at),
            created_at: iso(row.created_at),
            last_accessed_at: iso(row.last_accessed_at),
            metadata: row.metadata,
          })),
        ...(next ? { nextCursor: next } : {}),
      }
    },
  }
}

function encodeCursor(value: { after?: string; offset?: number }): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

function decodeCursor(cursor: unknown): { after?: string; offset?: number } {
  if (cursor === undefined || cursor === null || cursor === '') return {}
  if (typeof cursor !== 'string' || cursor.length > 4096) throw badCursor()
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown
    if (typeof value === 'object' && value !== null) {
      const { after, offset } = value as { after?: unknown; offset?: unknown }
      if (typeof after === 'string' && !after.includes('\u0000')) return { after }
      if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) return { offset }
    }
  } catch {}
  throw badCursor()
}

function badCursor() {
  return storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter cursor')
}

/** The listings of `storage.api`. */
export type ListApi = ReturnType<typeof createListApi>
