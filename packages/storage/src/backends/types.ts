/** A byte range, both ends inclusive (HTTP's `bytes=start-end`). */
export interface ByteRange {
  start: number
  end: number
}

/** What {@link StorageBackend.get} answers. */
export interface BackendObject {
  /** The bytes (the range's, when one was asked for). */
  body: ReadableStream<Uint8Array>
  /** The whole object's size. */
  size: number
}

/** One stored key, as {@link StorageBackend.list} yields it. */
export interface BackendEntry {
  key: string
  lastModified: Date
}

/**
 * Where bytes live. Keys are Groundwork's own (`objects/ab/<version>`, `uploads/<id>/<offset>`):
 * never an object's name, so nothing a client names reaches a path or an S3 key. Every method is
 * idempotent where it can be (`delete` of a missing key succeeds). Both backends pass one shared
 * behaviour suite (`test/backend.test.ts`).
 */
export interface StorageBackend {
  /** `local` or `s3`. */
  readonly kind: string
  /**
   * Stores `body` under `key`, atomically: readers see the whole object or nothing, and a failed or
   * aborted write (the stream errors, `signal` aborts) leaves nothing behind. Resolves with the size.
   */
  put(key: string, body: ReadableStream<Uint8Array>, options?: PutOptions): Promise<{ size: number }>
  /** Streams `key` (or `range` of it). Throws `StorageError` `STORAGE_NO_SUCH_KEY` when absent. */
  get(key: string, options?: { range?: ByteRange; signal?: AbortSignal }): Promise<BackendObject>
  /** The size of `key`, or null when absent. */
  head(key: string): Promise<{ size: number } | null>
  /** Copies `from` to `to` inside the backend (server-side on S3), atomically. */
  copy(from: string, to: string): Promise<void>
  /** Deletes keys; missing ones are fine. */
  delete(keys: readonly string[]): Promise<void>
  /** Keys under `prefix` (for the orphan sweep). */
  list(prefix: string): AsyncIterable<BackendEntry>
  /** Releases what the backend holds. */
  close(): Promise<void>
}

/** Options of {@link StorageBackend.put}. */
export interface PutOptions {
  contentType?: string
  /** Aborting it abandons the write (nothing is kept). */
  signal?: AbortSignal
  /**
   * The body's exact size, when known (a request's Content-Length): lets S3 stream it as one
   * PutObject instead of buffering parts. A body of another size fails the write.
   */
  size?: number
}

/** Only Groundwork's own key shapes: lower-case hex, digits, `/`, `-`, `_`, `.`; no `..`. */
const KEY = /^[a-z0-9][a-z0-9_.-]*(\/[a-z0-9][a-z0-9_.-]*)*$/

/** Refuses any key that is not one of Groundwork's own shapes (defence in depth: keys never come from clients). */
export function assertKey(key: string): string {
  if (!KEY.test(key) || key.length > 512 || key.split('/').some((s) => s === '..' || s === '.')) {
    throw new TypeError(`Invalid storage key: ${JSON.stringify(key.slice(0, 100))}`)
  }
  return key
}

/** The key of an object version's bytes: `objects/<first two hex>/<version>`. */
export function versionKey(version: string): string {
  return assertKey(`objects/${version.slice(0, 2)}/${version}`)
}

/** The key of one part of a resumable upload. */
export function partKey(uploadId: string, offset: number): string {
  return assertKey(`uploads/${uploadId}/${offset}`)
}
