import type { MediaType } from '../context'
import type { Relation } from '../schema-cache/types'
import type { SqlParams } from './sql'

/**
 * The transaction-local setting counting upserted rows that already existed (incremented in
 * `ON CONFLICT … DO UPDATE … WHERE`, read into {@link ResponseRow.upsert_updated}).
 */
export const UPDATED_SETTING = 'pgrst.upsert_updated'

/**
 * Wraps a row source into the single row every request reads back, PostgREST-style:
 * `total` (exact count or NULL), `page_total`, the `body` already rendered by Postgres as JSON
 * (`json_agg`) or CSV, and the `response.headers`/`response.status` GUCs set by the query.
 *
 * `source` is a SELECT producing the response rows (column names are the JSON keys); `ctes`
 * are prepended (`pgrst_mutation AS (INSERT … RETURNING *)` for writes).
 */
export function compileResponse(options: {
  source: string
  media: MediaType
  countSql?: string | null
  ctes?: string[]
  /** HEAD: count the page but build no body. */
  headOnly?: boolean
  /** Extra columns of the response row (`expression AS name`), read after the statement ran. */
  extra?: string[]
  /** The statement's parameters (an extension's media type may add its own). */
  params?: SqlParams
  /** The relation the rows come from (told to an extension's media type), if any. */
  relation?: Relation | null
}): string {
  const { media } = options
  let source = options.source
  const row = media.stripNulls ? 'json_strip_nulls(row_to_json(_postgrest_t))' : '_postgrest_t'
  let body: string
  switch (options.headOnly ? 'head' : media.kind) {
    case 'head':
      body = "''::text"
      break
    case 'object':
      body = `coalesce((json_agg(${row})->0)::text, 'null')`
      break
    case 'extension': {
      const negotiated = media.extension
      if (!negotiated || !options.params) throw new Error('an extension media type needs its parameters')
      const shaped = negotiated.mediaType.body({
        source,
        row: '_postgrest_t',
        params: options.params,
        accept: negotiated.params,
        relation: options.relation ?? null,
      })
      body = shaped.body
      if (shaped.source !== undefined) source = shaped.source
      break
    }
    case 'csv':
      body =
        `(SELECT coalesce(string_agg(pgrst_k.k, ','), '') FROM (SELECT json_object_keys(row_to_json(pgrst_h)) AS k FROM (SELECT * FROM pgrst_source LIMIT 1) AS pgrst_h) AS pgrst_k)` +
        ` || coalesce(E'\\n' || string_agg(substring(_postgrest_t::text, 2, length(_postgrest_t::text) - 2), E'\\n'), '')`
      break
    default:
      body = `coalesce(json_agg(${row}), '[]')::text`
  }
  const ctes = [...(options.ctes ?? []), `pgrst_source AS (${source})`]
  return (
    `WITH ${ctes.join(', ')} SELECT ${options.countSql ? `(${options.countSql})` : 'NULL::bigint'} AS total,` +
    ` pg_catalog.count(_postgrest_t) AS page_total, ${body} AS body,` +
    ` nullif(current_setting('response.headers', true), '') AS response_headers,` +
    ` nullif(current_setting('response.status', true), '') AS response_status` +
    (options.extra && options.extra.length > 0 ? `, ${options.extra.join(', ')}` : '') +
    ` FROM pgrst_source AS _postgrest_t`
  )
}

/** The row {@link compileResponse} produces. */
export interface ResponseRow {
  total: string | null
  page_total: string
  /** Text, or bytes (`bytea`) for a binary media type contributed by an extension. */
  body: string
  response_headers: string | null
  response_status: string | null
  /** Upserts: how many rows already existed (see write/mutation.ts). */
  upsert_updated?: string | null
}
