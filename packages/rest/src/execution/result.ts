import type { ResponseRow } from '../compiler/response'
import type { RestContext, RestResult } from '../context'
import { pgrstError } from '../errors'

/**
 * Turns the response row into a result: the singular-object check (406 PGRST116), headers and
 * status set by SQL through the `response.headers` / `response.status` GUCs (PGRST111/PGRST112).
 *
 * @see https://docs.postgrest.org/en/v14/references/transactions.html#response-headers
 */
export function resultFromRow(
  ctx: Pick<RestContext, 'media'>,
  row: ResponseRow,
  status: number,
  headers: Record<string, string>,
): RestResult {
  const pageTotal = Number(row.page_total)
  if (ctx.media.kind === 'object' && pageTotal !== 1) {
    throw pgrstError(
      'PGRST116',
      'Cannot coerce the result to a single JSON object',
      `The result contains ${pageTotal} rows`,
    )
  }
  const result: RestResult = {
    status,
    headers: { 'Content-Type': ctx.media.contentType, ...headers },
    body: row.body,
  }
  // A binary media type (an extension's, e.g. vector tiles): `bytea` arrives as bytes, and an
  // empty body is 204 No Content.
  const body = row.body as unknown
  if (body instanceof Uint8Array && ctx.media.extension?.mediaType.binary) {
    result.body = body
    if (body.byteLength === 0 && status === 200) {
      result.status = 204
      result.body = null
    }
  }
  applyGucs(result, row)
  return result
}

/** Applies `response.headers` (a JSON array of single-key objects) and `response.status`. */
export function applyGucs(
  result: RestResult,
  row: Pick<ResponseRow, 'response_headers' | 'response_status'>,
): void {
  if (row.response_headers) {
    let parsed: unknown
    try {
      parsed = JSON.parse(row.response_headers)
    } catch {
      parsed = null
    }
    if (!Array.isArray(parsed)) {
      throw pgrstError(
        'PGRST111',
        'response.headers guc must be a JSON array composed of objects with a single key and a string value',
      )
    }
    for (const entry of parsed) {
      if (typeof entry !== 'object' || entry === null) {
        throw pgrstError(
          'PGRST111',
          'response.headers guc must be a JSON array composed of objects with a single key and a string value',
        )
      }
      for (const [key, value] of Object.entries(entry)) result.headers[key] = String(value)
    }
  }
  if (row.response_status) {
    const status = Number(row.response_status)
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      throw pgrstError('PGRST112', 'response.status guc must be a valid status code')
    }
    result.status = status
  }
}
