import { buildPlan } from '../compiler/plan'
import { compileResponse } from '../compiler/response'
import { compileNode } from '../compiler/select'
import { ident, qualified, SqlParams } from '../compiler/sql'
import type { RestContext } from '../context'
import { compileOptionsFor } from '../extensions/compile'

/** What compiling a read needs: the request context without the transaction. */
export type ReadRequest = Omit<RestContext, 'tx'>

/** A compiled read: the response query and, for `count=planned|estimated`, the query to EXPLAIN. */
export interface CompiledRead {
  text: string
  values: unknown[]
  /** The count query (without the count), for planned/estimated counts. */
  countText: string | null
  countValues: unknown[]
  /** Rows are capped by `maxRows` and the range. */
  offset: number
  limit: number | null
  /** PostgREST's `Content-Location`: the relation and its query string, keys sorted. */
  contentLocation: string
}

/**
 * Compiles GET/HEAD on a relation:
 * `WITH pgrst_source AS (SELECT <projection> FROM <rel> <embed joins> WHERE … ORDER BY … LIMIT … OFFSET …)
 *  SELECT total, page_total, json_agg(…) …`.
 */
export function compileRead(ctx: ReadRequest): CompiledRead {
  const relation = ctx.relation
  if (!relation) throw new Error('compileRead needs a relation')
  const plan = buildPlan(ctx.cache, relation, ctx.query, {
    aggregates: ctx.options.aggregates,
    authorize: ctx.authorize,
  })
  const params = new SqlParams()
  const node = compileNode(ctx.cache, plan, params, 'root', compileOptionsFor(ctx))
  const from = `${qualified(relation.schema, relation.name)} AS ${ident(plan.alias)}`
  const where = node.conditions.length > 0 ? ` WHERE ${node.conditions.join(' AND ')}` : ''
  const maxRows = ctx.options.maxRows ?? null
  let limit = ctx.range.limit
  if (maxRows !== null) limit = limit === null ? maxRows : Math.min(limit, maxRows)
  const offset = ctx.range.offset
  const source =
    `SELECT ${node.columns} FROM ${from} ${node.joins}${where}` +
    (node.groupBy ? ` GROUP BY ${node.groupBy}` : '') +
    (node.orderBy ? ` ORDER BY ${node.orderBy}` : '') +
    (limit !== null ? ` LIMIT ${limit}` : '') +
    (offset > 0 ? ` OFFSET ${offset}` : '')

  // Counting needs only the joins used by conditions (`!inner`, `rel=is.null`), never the order.
  const countFrom = `FROM ${from} ${node.conditionsUseJoins ? node.joins : ''}${where}`
  const countSource = node.groupBy
    ? `SELECT pg_catalog.count(*) FROM (SELECT 1 ${countFrom} GROUP BY ${node.groupBy}) AS pgrst_g`
    : `SELECT pg_catalog.count(*) ${countFrom}`
  const exact = ctx.prefer.count === 'exact' || ctx.prefer.count === 'estimated'
  const text = compileResponse({
    source,
    media: ctx.media,
    countSql: exact ? countSource : null,
    headOnly: ctx.method === 'HEAD',
    params,
    relation,
  })
  return {
    text,
    values: params.values,
    countText: ctx.prefer.count === 'planned' || ctx.prefer.count === 'estimated' ? countSource : null,
    countValues: params.values,
    offset,
    limit,
    contentLocation: contentLocation(relation.name, ctx.url.searchParams),
  }
}

/** `/<relation>?<query string with the parameters sorted by name>`, as PostgREST answers a read. */
function contentLocation(name: string, params: URLSearchParams): string {
  const sorted = new URLSearchParams([...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  const query = sorted.toString()
  return `/${encodeURIComponent(name)}${query ? `?${query}` : ''}`
}
