/**
 * Request bodies of writes and RPC calls: JSON (object or array of objects), CSV and
 * `application/x-www-form-urlencoded`, normalised to rows of JSON values plus the column list.
 *
 * @see https://docs.postgrest.org/en/v14/references/api/tables_views.html#insert
 * @see https://docs.postgrest.org/en/v14/references/api/tables_views.html#bulk-insert
 */
import { pgrstError } from '../errors'

/** A parsed write body. */
export interface Payload {
  /** The rows, each a JSON object (CSV and form values are strings or `null`). */
  rows: Record<string, unknown>[]
  /** Keys in first-seen order across all rows. */
  keys: string[]
  /** The body was a single object rather than an array (PostgREST's single-row semantics). */
  single: boolean
}

/** Media types accepted as a request body. */
export const PAYLOAD_MEDIA_TYPES = [
  'application/json',
  'text/csv',
  'application/x-www-form-urlencoded',
] as const

/**
 * Parses a body of the given `Content-Type` (already lower-cased, no parameters).
 * Throws PGRST102 for an empty or malformed body, PGRST107 for a media type it cannot read.
 */
export function parsePayload(body: string, contentType: string): Payload {
  switch (contentType) {
    case 'text/csv':
      return parseCsvPayload(body)
    case 'application/x-www-form-urlencoded':
      return fromRows([Object.fromEntries(new URLSearchParams(body))], true)
    case 'application/json':
    case 'application/vnd.pgrst.object+json':
    case 'application/vnd.pgrst.object':
    case 'application/vnd.pgrst.array+json':
    case 'application/vnd.pgrst.array':
    case '*/*':
      return parseJsonPayload(body)
    default:
      if (contentType.endsWith('+json')) return parseJsonPayload(body)
      throw pgrstError('PGRST107', `Content-Type not acceptable: ${contentType}`, null, null, 415)
  }
}

/** Parses JSON text, throwing PostgREST's PGRST102 instead of a SyntaxError. */
export function parseJson(body: string): unknown {
  if (body.trim() === '') throw pgrstError('PGRST102', 'Empty or invalid json')
  try {
    return JSON.parse(body)
  } catch {
    throw pgrstError('PGRST102', 'Empty or invalid json')
  }
}

function parseJsonPayload(body: string): Payload {
  const value = parseJson(body)
  if (Array.isArray(value)) {
    if (!value.every(isPlainObject)) throw pgrstError('PGRST102', 'All object keys must match')
    return fromRows(value, false)
  }
  if (isPlainObject(value)) return fromRows([value], true)
  throw pgrstError('PGRST102', 'Empty or invalid json')
}

function fromRows(rows: Record<string, unknown>[], single: boolean): Payload {
  const keys: string[] = []
  const seen = new Set<string>()
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (!seen.has(key)) {
        seen.add(key)
        keys.push(key)
      }
    }
  }
  return { rows, keys, single }
}

/** True when every row has exactly the same keys (PostgREST requires it without `columns=`). */
export function uniformKeys(payload: Payload): boolean {
  const n = payload.keys.length
  return payload.rows.every((row) => {
    const keys = Object.keys(row)
    return keys.length === n && keys.every((key) => key in (payload.rows[0] as object))
  })
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * CSV as PostgREST reads it: the first line names the columns; fields may be quoted with `"`
 * (`""` escapes a quote); an unquoted `NULL` is SQL null, an empty field the empty string.
 */
function parseCsvPayload(body: string): Payload {
  const records = parseCsv(body)
  const header = records.shift()
  if (!header || header.length === 0 || header.every((h) => h.value === '')) {
    throw pgrstError('PGRST102', 'Empty or invalid CSV')
  }
  const columns = header.map((h) => h.value)
  const rows = records
    .filter((record) => !(record.length === 1 && record[0]?.value === '' && !record[0].quoted))
    .map((record, index) => {
      if (record.length !== columns.length) {
        throw pgrstError(
          'PGRST102',
          'Invalid CSV',
          `Row ${index + 2} has ${record.length} fields, the header has ${columns.length}`,
        )
      }
      const row: Record<string, unknown> = {}
      record.forEach((field, i) => {
        row[columns[i] as string] = !field.quoted && field.value === 'NULL' ? null : field.value
      })
      return row
    })
  return { rows, keys: columns, single: false }
}

interface CsvField {
  value: string
  quoted: boolean
}

/** RFC 4180 reader (CRLF or LF line ends). */
export function parseCsv(text: string): CsvField[][] {
  const records: CsvField[][] = []
  let record: CsvField[] = []
  let i = 0
  const n = text.length
  if (n === 0) return records
  for (;;) {
    let value = ''
    let quoted = false
    if (text[i] === '"') {
      quoted = true
      i++
      for (;;) {
        if (i >= n) throw pgrstError('PGRST102', 'Invalid CSV', 'Unterminated quoted field')
        const ch = text[i] as string
        if (ch === '"') {
          if (text[i + 1] === '"') {
            value += '"'
            i += 2
            continue
          }
          i++
          break
        }
        value += ch
        i++
      }
      if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
        throw pgrstError('PGRST102', 'Invalid CSV', 'Unexpected character after a quoted field')
      }
    } else {
      while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
        value += text[i]
        i++
      }
    }
    record.push({ value, quoted })
    if (i >= n) {
      records.push(record)
      break
    }
    const ch = text[i]
    if (ch === ',') {
      i++
      continue
    }
    // Line end: \r\n, \n or \r.
    i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1
    records.push(record)
    record = []
    if (i >= n) break
  }
  return records
}
