import { Readable } from 'node:stream'
import { Busboy } from '@fastify/busboy'
import { storageError } from '../errors'

/** The file of a multipart upload, with the form fields that came before it. */
export interface MultipartFile {
  /** `cacheControl`, `metadata`, `contentEncoding`, … (fields after the file are not read). */
  fields: Record<string, string>
  /** The file's bytes, streamed (not buffered). */
  stream: ReadableStream<Uint8Array>
  /** The file part's `Content-Type`. */
  mimeType: string
}

/**
 * Reads a `multipart/form-data` upload (storage-js sends one for a `Blob`, `File` or `FormData`)
 * up to its first file, streaming: fields are collected, then the file part is handed over as a
 * stream that the caller pipes to the backend; busboy parses the rest as the file is consumed.
 * At most 20 fields of 16 KiB; no file is 400.
 */
export function readMultipartFile(request: Request, contentType: string): Promise<MultipartFile> {
  if (!request.body) return Promise.reject(noContent())
  return new Promise<MultipartFile>((resolve, reject) => {
    let busboy: ReturnType<typeof Busboy>
    try {
      busboy = Busboy({
        headers: { 'content-type': contentType },
        limits: { files: 1, fields: 20, fieldSize: 16 * 1024, parts: 25, headerPairs: 20 },
      })
    } catch (cause) {
      reject(storageError('STORAGE_INVALID_REQUEST', 'The multipart body has no valid boundary', { cause }))
      return
    }
    const fields: Record<string, string> = {}
    let settled = false
    let current: (NodeJS.ReadableStream & { destroy(error?: Error): void; readableEnded: boolean }) | null =
      null
    const source = Readable.fromWeb(request.body as import('node:stream/web').ReadableStream<Uint8Array>)
    const fail = (error: unknown) => {
      if (!settled) {
        settled = true
        reject(storageError('STORAGE_INVALID_REQUEST', 'The multipart body is malformed', { cause: error }))
      }
      source.destroy()
    }
    busboy.on('field', (name, value) => {
      if (!settled) fields[name] = value
    })
    busboy.on('file', (_name, file, _filename, _encoding, mimeType) => {
      if (settled) {
        file.resume()
        return
      }
      settled = true
      current = file
      file.on('error', () => {})
      // The consumer stopped early (a size limit, a refused write): stop reading the request too.
      file.on('close', () => {
        if (!file.readableEnded) source.destroy()
      })
      resolve({
        fields,
        mimeType: mimeType || 'application/octet-stream',
        stream: Readable.toWeb(file) as ReadableStream<Uint8Array>,
      })
    })
    busboy.on('error', (error) => {
      if (!settled) fail(error)
      else {
        current?.destroy(error as Error)
        source.destroy()
      }
    })
    busboy.on('finish', () => {
      if (!settled) {
        settled = true
        reject(noContent())
      }
    })
    source.on('error', (error) => busboy.destroy(error))
    source.pipe(busboy)
  })
}

function noContent() {
  return storageError('STORAGE_INVALID_REQUEST', 'No content provided')
}
