import type { ObjectHandle } from '../api'
import type { ByteRange } from '../backends/types'
import { storageError } from '../errors'
import type { StoredObject } from '../objects/records'

/**
 * The range a `Range` header asks for: one `bytes=` range (a suffix `-n` and an open end `n-`
 * included); `null` to serve the whole object (no header, several ranges, or another unit —
 * ignoring a Range is always allowed); throws 416 when it cannot be satisfied.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-14.2
 */
export function parseRange(header: string | null, size: number): ByteRange | null {
  if (header === null) return null
  const match = /^\s*bytes\s*=\s*(\d{0,16})\s*-\s*(\d{0,16})\s*$/i.exec(header)
  if (!match) return null
  const [, first, last] = match as unknown as [string, string, string]
  if (first === '' && last === '') return null
  let start: number
  let end: number
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0) throw unsatisfiable(size)
    start = Math.max(0, size - suffix)
    end = size - 1
  } else {
    start = Number(first)
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
    if (last !== '' && Number(last) < start) return null
  }
  if (start >= size || size === 0) throw unsatisfiable(size)
  return { start, end }
}

function unsatisfiable(size: number) {
  return storageError('STORAGE_INVALID_RANGE', 'The requested range is not satisfiable', {
    headers: { 'content-range': `bytes */${size}` },
  })
}

/**
 * Whether the client's cached copy is current (`If-None-Match`, else `If-Modified-Since`): answer
 * 304. Weak comparison, as RFC 9110 requires for If-None-Match.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-13.1.2
 */
export function notModified(request: Request, object: StoredObject): boolean {
  const ifNoneMatch = request.headers.get('if-none-match')
  if (ifNoneMatch !== null) {
    if (ifNoneMatch.trim() === '*') return true
    const etag = object.metadata.eTag.replace(/^W\//, '')
    return ifNoneMatch
      .split(',')
      .map((tag) => tag.trim().replace(/^W\//, ''))
      .includes(etag)
  }
  const since = request.headers.get('if-modified-since')
  if (since !== null) {
    const date = Date.parse(since)
    return !Number.isNaN(date) && Math.floor(object.updatedAt.getTime() / 1000) <= Math.floor(date / 1000)
  }
  return false
}

/** Supabase serves HTML as text: an uploaded page must never run as the storage origin's. */
function servedType(mimetype: string): string {
  return /^\s*text\/html/i.test(mimetype) ? 'text/plain' : mimetype
}

/** `Content-Disposition` for `?download` (no value: `attachment`) and `?download=name.png`. */
export function disposition(download: string | null): Record<string, string> {
  if (download === null) return {}
  if (download === '') return { 'content-disposition': 'attachment;' }
  const encoded = encodeURIComponent(download)
  return { 'content-disposition': `attachment; filename=${encoded}; filename*=UTF-8''${encoded};` }
}

/** The headers every answer about an object carries. */
export function objectHeaders(object: StoredObject): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': servedType(object.metadata.mimetype),
    etag: object.metadata.eTag,
    'last-modified': object.updatedAt.toUTCString(),
    'cache-control': object.metadata.cacheControl,
    'accept-ranges': 'bytes',
    'x-content-type-options': 'nosniff',
  }
  if (object.metadata.contentEncoding) headers['content-encoding'] = object.metadata.contentEncoding
  return headers
}

/**
 * Answers a read of an object: 304 when the client's copy is current; otherwise the bytes
 * (200, or 206 with `Content-Range` for a satisfiable `Range`; 416 otherwise), streamed from the
 * backend. `HEAD` answers the same headers and never opens the bytes.
 */
export async function objectResponse(
  request: Request,
  found: ObjectHandle,
  options: { download: string | null },
): Promise<Response> {
  const { object } = found
  const headers = { ...objectHeaders(object), ...disposition(options.download) }
  if (notModified(request, object))
    return new Response(null, { status: 304, headers: withoutBodyHeaders(headers) })
  const size = object.metadata.size
  const range = parseRange(request.headers.get('range'), size)
  const length = range ? range.end - range.start + 1 : size
  headers['content-length'] = String(length)
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`
  const status = range ? 206 : 200
  if (request.method === 'HEAD') return new Response(null, { status, headers })
  const { body } = await found.open(range ?? undefined, request.signal)
  return new Response(body, { status, headers })
}

function withoutBodyHeaders(headers: Record<string, string>): Record<string, string> {
  const { 'content-type': _type, 'content-encoding': _encoding, ...rest } = headers
  return rest
}
