import { randomUUID } from 'node:crypto'
import { constants, createWriteStream } from 'node:fs'
import { copyFile, type FileHandle, mkdir, open, opendir, rename, stat, unlink } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import { noSuchKey, storageError } from '../errors'
import { assertKey, type BackendEntry, type ByteRange, type StorageBackend } from './types'

/** Options of {@link localBackend}. */
export interface LocalBackendOptions {
  /** The folder bytes are kept in (created when missing). */
  root: string
  /**
   * fsync each file and its folder before a write is reported done, so bytes whose row commits
   * survive a power loss. Off, a crash right after an upload can lose its bytes. @default true
   */
  durable?: boolean
}

const READ_CHUNK = 256 * 1024
const TEMP = '.tmp'

/**
 * Bytes in a local folder: `<root>/objects/ab/<version>`. Writes go to `<root>/.tmp/<uuid>` and
 * are renamed into place (atomic: a reader sees all or nothing; a crash leaves only a temp file),
 * with fsync of the file and its folder when `durable`. Keys are checked against Groundwork's own
 * shapes and resolved under `root`, so no key can name a path outside it.
 */
export function localBackend(options: LocalBackendOptions): StorageBackend {
  const root = resolve(options.root)
  const durable = options.durable ?? true
  const made = new Set<string>()

  function pathOf(key: string): string {
    const path = join(root, assertKey(key))
    if (!path.startsWith(root + sep)) throw new TypeError('Invalid storage key')
    return path
  }

  async function ensureDir(dir: string) {
    if (made.has(dir)) return
    await mkdir(dir, { recursive: true })
    made.add(dir)
  }

  async function syncDir(dir: string) {
    if (!durable) return
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  }

  /** Writes to a temp file with `fill`, then renames it to `key`'s path; any failure removes the temp file. */
  async function atomically(key: string, fill: (temp: string) => Promise<number>): Promise<number> {
    const target = pathOf(key)
    const tempDir = join(root, TEMP)
    await ensureDir(tempDir)
    await ensureDir(dirname(target))
    const temp = join(tempDir, randomUUID())
    try {
      const size = await fill(temp)
      await rename(temp, target)
      await syncDir(dirname(target))
      return size
    } catch (error) {
      await unlink(temp).catch(() => {})
      throw error
    }
  }

  return {
    kind: 'local',
    async put(key, body, putOptions = {}) {
      const size = await atomically(key, async (temp) => {
        // A Node write stream: consecutive chunks are written together (writev), and `flush`
        // fsyncs the file before it closes when durability is asked for.
        const file = createWriteStream(temp, { flags: 'wx', flush: durable, highWaterMark: 1024 * 1024 })
        await pipeline(
          Readable.fromWeb(body as NodeReadableStream<Uint8Array>, { highWaterMark: 1024 * 1024 }),
          file,
          ...(putOptions.signal ? [{ signal: putOptions.signal }] : []),
        )
        return file.bytesWritten
      })
      return { size }
    },

    async get(key, getOptions = {}) {
      let handle: FileHandle
      try {
        handle = await open(pathOf(key), 'r')
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw noSuchKey()
        throw error
      }
      try {
        const { size } = await handle.stat()
        const range = getOptions.range ?? (size === 0 ? null : { start: 0, end: size - 1 })
        if (range && (range.start > range.end || range.end >= size)) {
          throw storageError('STORAGE_INVALID_RANGE', 'The requested range is not satisfiable')
        }
        return { size, body: fileStream(handle, range, getOptions.signal) }
      } catch (error) {
        await handle.close()
        throw error
      }
    },

    async head(key) {
      try {
        const info = await stat(pathOf(key))
        return { size: info.size }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw error
      }
    },

    async copy(from, to) {
      const source = pathOf(from)
      await atomically(to, async (temp) => {
        try {
          await copyFile(source, temp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw noSuchKey()
          throw error
        }
        if (durable) {
          const handle = await open(temp, 'r+')
          try {
            await handle.sync()
          } finally {
            await handle.close()
          }
        }
        return 0
      })
    },

    async delete(keys) {
      for (const key of keys) {
        await unlink(pathOf(key)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error
        })
      }
    },

    async *list(prefix) {
      yield* walk(root, join(root, prefix === '' ? '' : assertKey(prefix.replace(/\/$/, ''))))
    },

    async close() {},
  }
}

/** A pull stream over `range` of an open file; the handle is closed at the end, on error and on cancel. */
function fileStream(
  handle: FileHandle,
  range: ByteRange | null,
  signal: AbortSignal | undefined,
): ReadableStream<Uint8Array> {
  let position = range?.start ?? 0
  const end = range ? range.end + 1 : 0
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await handle.close().catch(() => {})
  }
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        signal?.throwIfAborted()
        if (position >= end) {
          await close()
          controller.close()
          return
        }
        const length = Math.min(READ_CHUNK, end - position)
        const buffer = Buffer.allocUnsafe(length)
        const { bytesRead } = await handle.read(buffer, 0, length, position)
        if (bytesRead === 0) {
          // The file shrank under us (it cannot: versions are immutable); end rather than spin.
          await close()
          controller.error(new Error('storage: file ended early'))
          return
        }
        position += bytesRead
        controller.enqueue(bytesRead === length ? buffer : buffer.subarray(0, bytesRead))
      } catch (error) {
        await close()
        controller.error(error)
      }
    },
    async cancel() {
      await close()
    },
  })
}

async function* walk(root: string, dir: string): AsyncGenerator<BackendEntry> {
  let entries: Awaited<ReturnType<typeof opendir>>
  try {
    entries = await opendir(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  for await (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (dir === root && entry.name === TEMP) continue
      yield* walk(root, path)
    } else if (entry.isFile()) {
      const info = await stat(path).catch(() => null)
      if (info)
        yield {
          key: path
            .slice(root.length + 1)
            .split(sep)
            .join('/'),
          lastModified: info.mtime,
        }
    }
  }
}
