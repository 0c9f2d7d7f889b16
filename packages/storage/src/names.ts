import { assertJsonDepth } from '@groundwork/core/kit'
import { storageError } from './errors'

/** Bytes an object name may have (UTF-8), as S3 keys. */
export const MAX_NAME_BYTES = 1024

// Supabase's rule (and storage-js's isValidBucketName): 1-100 of word characters and `!-.*'() &$@=;:+,?`.
const BUCKET_ID = /^[\w!.*'() &$@=;:+,?-]{1,100}$/
// C0 controls, DEL and the C1 controls: never in a name (NUL would end a C string; the rest hide in logs).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above.
const CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f]/g

/**
 * Checks a bucket id: Supabase's character set, no surrounding whitespace, and not `.` or `..`.
 *
 * @see https://github.com/supabase/storage/blob/master/src/storage/limits.ts
 */
export function assertBucketId(id: unknown): string {
  if (typeof id !== 'string' || !BUCKET_ID.test(id) || id.trim() !== id || id === '.' || id === '..') {
    throw storageError('STORAGE_INVALID_BUCKET_NAME', 'Bucket name invalid')
  }
  return id
}

/**
 * Checks an object name. Any Unicode is allowed (Supabase refuses non-ASCII names; S3 does not),
 * but no control character, no empty, `.` or `..` segment (`a//b`, `a/../b`), no leading or
 * trailing `/`, and at most 1024 UTF-8 bytes. Names never become file paths here (bytes are stored
 * under their version id), so this is about unambiguous names, not about safety of the disk.
 */
export function assertObjectName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw storageError('STORAGE_INVALID_KEY', 'Invalid key: the object name is empty')
  }
  if (
    Buffer.byteLength(name) > MAX_NAME_BYTES ||
    CONTROL.test(name) ||
    !(name as unknown as { isWellFormed(): boolean }).isWellFormed()
  ) {
    throw storageError('STORAGE_INVALID_KEY', `Invalid key: ${printable(name)}`)
  }
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw storageError('STORAGE_INVALID_KEY', `Invalid key: ${printable(name)}`)
    }
  }
  return name
}

/** A name for messages: control characters escaped, cut at 200 characters. */
export function printable(name: string): string {
  const escaped = name.replace(CONTROL_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  return escaped.length > 200 ? `${escaped.slice(0, 200)}…` : escaped
}

/**
 * A folder prefix as Supabase's v1 listing treats it: `''` or `'a/b/'` (a trailing `/` added).
 * Leading and doubled slashes are dropped, as storage-js does.
 */
export function folderPrefix(prefix: unknown): string {
  if (prefix === undefined || prefix === null) return ''
  if (typeof prefix !== 'string') throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter prefix')
  const cleaned = prefix.replace(/\/+/g, '/').replace(/^\//, '')
  if (cleaned === '') return ''
  if (CONTROL.test(cleaned) || Buffer.byteLength(cleaned) > MAX_NAME_BYTES) {
    throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter prefix')
  }
  return cleaned.endsWith('/') ? cleaned : `${cleaned}/`
}

/** `value` with LIKE's wildcards escaped (`\` is the escape character), for `like $1 || '%'`. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`)
}

/**
 * Whether `mimeType` is allowed by a bucket's `allowed_mime_types` (none: all). Entries may be
 * exact (`image/png`) or wildcards (`image/*`, `*\/*`); parameters (`; charset=…`) are ignored.
 */
export function mimeAllowed(mimeType: string, allowed: readonly string[] | null | undefined): boolean {
  if (!allowed || allowed.length === 0) return true
  const [type, subtype] = mimeType.split(';')[0]!.trim().toLowerCase().split('/')
  if (!type || !subtype) return false
  return allowed.some((entry) => {
    const [t, s] = entry.split(';')[0]!.trim().toLowerCase().split('/')
    return (t === '*' || t === type) && (s === '*' || s === subtype)
  })
}

/** Checks a content type for a stored object: `type/subtype` (parameters allowed), printable, bounded. */
export function assertContentType(value: string): string {
  const trimmed = value.trim()
  if (!/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(trimmed) || trimmed.length > 255 || CONTROL.test(trimmed)) {
    throw storageError(
      'STORAGE_INVALID_MIME_TYPE',
      `mime type ${printable(trimmed) || '(empty)'} is not supported`,
    )
  }
  return trimmed
}

const UNITS: Record<string, number> = { B: 1, KB: 1000, MB: 1000 ** 2, GB: 1000 ** 3, TB: 1000 ** 4 }

/**
 * A bucket's `file_size_limit` as storage-js sends it: a number of bytes or a string such as
 * `'20MB'`, `'30KB'`, `'3B'` (decimal units, as Supabase parses them). `null` clears it.
 */
export function parseFileSizeLimit(value: unknown): number | null | undefined {
  if (value === undefined) return undefined
  if (value === null) return null
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value
  } else if (typeof value === 'string') {
    const match = /^\s*(\d{1,15})\s*(B|KB|MB|GB|TB)?\s*$/i.exec(value)
    if (match) {
      const bytes = Number(match[1]) * (UNITS[(match[2] ?? 'B').toUpperCase()] as number)
      if (Number.isSafeInteger(bytes)) return bytes
    }
  }
  throw storageError('STORAGE_INVALID_REQUEST', 'Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B')
}

/**
 * The `Cache-Control` value stored for an upload: storage-js sends `max-age=3600` as a header and
 * `3600` as a multipart field; a bare number becomes `max-age=<n>`.
 */
export function cacheControlOf(value: string | null | undefined, fallback = 'max-age=3600'): string {
  if (value === null || value === undefined || value.trim() === '') return fallback
  const trimmed = value.trim()
  if (/^\d{1,10}$/.test(trimmed)) return `max-age=${trimmed}`
  if (trimmed.length > 255 || CONTROL.test(trimmed)) {
    throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter cacheControl')
  }
  return trimmed
}

/**
 * User metadata: a JSON object (the `x-metadata` header carries it base64-encoded; a multipart
 * upload carries it as a `metadata` field), at most 8 KiB.
 */
export function parseUserMetadata(
  json: string | null | undefined,
  base64 = false,
): Record<string, unknown> | null {
  if (json === null || json === undefined || json === '') return null
  let text = json
  if (base64) {
    if (!/^[A-Za-z0-9+/=_-]*$/.test(json)) throw invalidMetadata()
    text = Buffer.from(json, 'base64').toString('utf8')
  }
  if (text.length > 8192) throw invalidMetadata()
  let value: unknown
  try {
    assertJsonDepth(text, 32)
    value = JSON.parse(text)
  } catch {
    throw invalidMetadata()
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidMetadata()
  return value as Record<string, unknown>
}

function invalidMetadata() {
  return storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter metadata: a JSON object is expected')
}
