import type { ResponseRow } from '../compiler/response'
import type { Executor, RestContext, RestResult } from '../context'
import { RestError } from '../errors'
import { contentRange } from '../execution/content-range'
import { explainStatement } from '../execution/explain'
import { resultFromRow } from '../execution/result'
import { namedStatement } from '../execution/statement-names'
import type { SchemaCache } from '../schema-cache/types'
import { type CompiledRead, compileRead, type ReadRequest } from './compile-read'

/**
 * Compiled reads by request shape, per schema cache (a reload starts afresh). Values come from
 * the query string and headers that are part of the key, so a hit reuses text and values.
 */
const compiledByCache = new WeakMap<SchemaCache, Map<string, CompiledRead>>()
const MAX_CACHED = 1000

/** Compiles (or reuses) the read for this request. Throws `RestError`s before any SQL runs. */
export function prepareRead(ctx: ReadRequest): CompiledRead {
  let compiled = compiledByCache.get(ctx.cache)
  if (!compiled) {
    compiled = new Map()
    compiledByCache.set(ctx.cache, compiled)
  }
  const key = `${ctx.method}\u0000${ctx.schema}\u0000${ctx.path}\u0000${ctx.url.search}\u0000${ctx.media.contentType}\u0000${ctx.media.extension ? JSON.stringify(ctx.media.extension.params) : ''}\u0000${ctx.prefer.count}\u0000${ctx.range.offset}\u0000${ctx.range.limit}\u0000${ctx.options.maxRows}\u0000${ctx.options.aggregates}`
  let entry = compiled.get(key)
  if (!entry) {
    entry = compileRead(ctx)
    if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value as string)
    compiled.set(key, entry)
  }
  return entry
}

/** True when the read is one statement (no EXPLAIN-based count, no plan output). */
export function isSingleStatement(ctx: ReadRequest, read: CompiledRead): boolean {
  return ctx.media.kind !== 'plan' && read.countText === null
}

/** The query config for the read's statement (a named prepared statement while under the cap). */
export function readStatement(
  ctx: ReadRequest,
  read: CompiledRead,
): { name?: string; text: string; values: unknown[] } {
  return namedStatement(ctx, read.text, read.values)
}

/**
 * GET/HEAD on a table or view: one statement renders the page as JSON/CSV in Postgres; the
 * answer carries `Content-Range`, 206 for a partial page with a known total, 416 past the end.
 *
 * @see https://docs.postgrest.org/en/v14/references/api/pagination_count.html
 */
export const executeRead: Executor = async (ctx) => {
  const read = prepareRead(ctx)
  if (ctx.media.kind === 'plan') return explainStatement(ctx, read)
  const { rows } = await ctx.tx.query<ResponseRow & Record<string, unknown>>(readStatement(ctx, read))
  const row = rows[0] as ResponseRow
  let total = row.total === null ? null : Number(row.total)
  if (
    read.countText !== null &&
    (ctx.prefer.count === 'planned' ||
      (total !== null && ctx.options.maxRows !== undefined && total > ctx.options.maxRows))
  ) {
    total = await plannedCount(ctx, read)
  }
  return finishRead(ctx, read, row, total)
}

/** Builds the answer from the response row: Content-Range, 200/206, 416 past the end. */
export function finishRead(
  ctx: ReadRequest,
  read: CompiledRead,
  row: ResponseRow,
  total: number | null,
): RestResult {
  const pageTotal = Number(row.page_total)
  const headers: Record<string, string> = {
    'Content-Range': contentRange(read.offset, pageTotal, total),
    'Content-Location': read.contentLocation,
  }
  if (ctx.prefer.count) ctx.applied.push(`count=${ctx.prefer.count}`)
  let status = 200
  if (total !== null) {
    // PostgREST's rangeStatus: past the end is 416, a page smaller than the total is 206.
    if (read.offset > total) {
      throw new RestError('PGRST103', 'Requested range not satisfiable', {
        status: 416,
        details: `An offset of ${read.offset} was requested, but there are only ${total} rows.`,
        headers: { 'Content-Range': `*/${total}` },
      })
    }
    if (pageTotal < total) status = 206
  }
  return resultFromRow(ctx, row, status, headers)
}

/** `Prefer: count=planned`: the planner's row estimate for the count query. */
async function plannedCount(ctx: RestContext, read: CompiledRead): Promise<number> {
  const { rows } = await ctx.tx.query<{
    'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number; Plans?: Array<{ 'Plan Rows': number }> } }>
  }>(`EXPLAIN (FORMAT JSON) ${read.countText}`, read.countValues)
  const plan = rows[0]?.['QUERY PLAN'][0]?.Plan
  // The top node is the count aggregate (1 row); its input carries the estimate.
  return plan?.Plans?.[0]?.['Plan Rows'] ?? plan?.['Plan Rows'] ?? 0
}
