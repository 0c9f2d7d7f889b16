/**
 * `/rpc/<fn>`: POST with a JSON object of named arguments (or the whole body for a single
 * json/jsonb parameter), GET/HEAD with arguments in the query string. The transaction is READ
 * ONLY for GET/HEAD and for STABLE/IMMUTABLE functions (the pipeline decides), so a GET of a
 * function that writes fails with 25006 → 405, as in PostgREST.
 *
 * Response shapes follow PostgREST: a scalar is the bare JSON value, a set of scalars an array of
 * values, a single composite (or OUT parameters) an object, a set of rows an array of objects —
 * filterable, orderable, paginable and embeddable like a table — and `void` answers 204.
 *
 * @see https://docs.postgrest.org/en/v14/references/api/functions.html
 */
import { buildPlan } from '../compiler/plan'
import { compileResponse, type ResponseRow } from '../compiler/response'
import { compileNode } from '../compiler/select'
import { ident, SqlParams } from '../compiler/sql'
import type { Executor, RestContext, RestResult } from '../context'
import { pgrstError } from '../errors'
import { contentRange } from '../execution/content-range'
import { explainStatement } from '../execution/explain'
import { applyGucs, resultFromRow } from '../execution/result'
import { namedStatement } from '../execution/statement-names'
import { compileOptionsFor } from '../extensions/compile'
import type { Column, FunctionInfo, Relation, SchemaCache } from '../schema-cache/types'
import { qualifiedKey } from '../schema-cache/types'
import { parseJson } from '../write/payload'
import { type CallArguments, callSource, queryArguments, SCALAR_COLUMN } from './call'
import { type BodyKind, resolveCall } from './resolve'

/** What an RPC call needs from the request: everything but the open transaction. */
export type RpcRequest = Omit<RestContext, 'tx'>

/** A compiled call: one statement, and how to turn its row into the answer. */
export interface PreparedCall {
  statement: { name?: string; text: string; values: unknown[] }
  /** Builds the result, or throws (singular object, GUC errors): the caller then rolls back. */
  finish(row: ResponseRow): RestResult
}

/** Resolves the overload and compiles the call without touching the database. */
export function prepareRpc(ctx: RpcRequest): PreparedCall {
  const rpc = ctx.rpc
  if (!rpc) throw pgrstError('PGRST125', 'Invalid path specified in request URL')
  const post = ctx.method === 'POST'
  const body = post ? bodyKind(ctx.contentType) : 'json'
  let parsed: unknown = {}
  let keys: string[]
  if (!post) {
    keys = [...new Set(ctx.query.rest.map(([key]) => key))]
  } else if (body === 'json' || body === 'form') {
    parsed =
      body === 'form'
        ? Object.fromEntries(new URLSearchParams(ctx.body))
        : ctx.body.trim() === ''
          ? {}
          : parseJson(ctx.body)
    keys = isObject(parsed) ? Object.keys(parsed) : []
    // `columns=` names the arguments (PostgREST takes them as the keys) and drops the rest.
    if (ctx.query.columns) {
      const keep = new Set(ctx.query.columns)
      keys = ctx.query.columns
      if (isObject(parsed)) parsed = Object.fromEntries(Object.entries(parsed).filter(([k]) => keep.has(k)))
    }
  } else {
    keys = []
  }
  const singleObject = ctx.prefer.params === 'single-object'
  if (singleObject) ctx.applied.push('params=single-object')
  const { fn, style } = resolveCall(
    rpc.overloads,
    { keys, post, body, singleObject },
    schemaFunctionNames(ctx.cache, ctx.schema),
  )
  // max-affected applies to functions returning rows; checked against the rows after the call.
  if (ctx.prefer.handling === 'strict' && ctx.prefer.maxAffected !== null) {
    if (!fn.returnsSet) {
      throw pgrstError(
        'PGRST128',
        'Function must return SETOF or TABLE when max-affected preference is used with handling=strict',
      )
    }
    ctx.applied.push('handling=strict', `max-affected=${ctx.prefer.maxAffected}`)
  }
  let args: CallArguments
  if (style.kind === 'single') {
    // The body itself (PostgREST's OnePosParam): JSON text, raw text/XML, or bytea as `\x…` hex.
    const value = !post
      ? JSON.stringify(Object.fromEntries(ctx.query.rest))
      : body === 'form'
        ? JSON.stringify(parsed)
        : body === 'json' && ctx.body.trim() === ''
          ? '{}'
          : ctx.body
    args = { kind: 'single', value }
  } else {
    args = {
      kind: 'named',
      values: post ? (isObject(parsed) ? parsed : {}) : queryArguments(fn, ctx.query.rest),
    }
  }
  const params = new SqlParams()
  const from = callSource(params, fn, style, args, fn.name)
  return finishPrepared(ctx, fn, from, params)
}

/** The request body's kind for overload matching; other media types cannot call a function (415). */
function bodyKind(contentType: string): BodyKind {
  switch (contentType) {
    case 'application/json':
    case '*/*':
      return 'json'
    case 'application/x-www-form-urlencoded':
      return 'form'
    case 'text/plain':
      return 'text'
    case 'text/xml':
    case 'application/xml':
      return 'xml'
    case 'application/octet-stream':
      return 'octet'
    default:
      if (contentType.endsWith('+json')) return 'json'
      throw pgrstError('PGRST107', `Content-Type not acceptable: ${contentType}`, null, null, 415)
  }
}

/** The callable function names of `schema` (read only when a PGRST202 hint is built). */
export function* schemaFunctionNames(cache: SchemaCache, schema: string): Generator<string> {
  for (const overloads of cache.functions.values()) {
    const fn = overloads[0]
    if (fn && fn.schema === schema) yield fn.name
  }
}

/** Compiles the call's response for the function's return shape. */
function finishPrepared(ctx: RpcRequest, fn: FunctionInfo, from: string, params: SqlParams): PreparedCall {
  const alias = fn.name
  const compiled =
    fn.returnShape === 'void'
      ? callVoid(ctx, from)
      : fn.returnShape === 'scalar'
        ? callScalar(ctx, fn, from, alias)
        : callRows(ctx, fn, from, alias, params)
  return {
    statement: namedStatement(ctx, compiled.text, params.values),
    finish: compiled.finish,
  }
}

/** Runs a call inside the request's transaction (the pipeline may instead pipeline it). */
export const executeRpc: Executor = async (ctx) => {
  const call = prepareRpc(ctx)
  if (ctx.media.kind === 'plan') return explainStatement(ctx, call.statement)
  const { rows } = await ctx.tx.query<ResponseRow & Record<string, unknown>>(call.statement)
  return call.finish(rows[0] as ResponseRow)
}

interface Compiled {
  text: string
  finish(row: ResponseRow): RestResult
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const GUCS =
  "nullif(current_setting('response.headers', true), '') AS response_headers, " +
  "nullif(current_setting('response.status', true), '') AS response_status"

/** `RETURNS void`: 204 No Content, with the one-row `Content-Range` PostgREST sends. */
function callVoid(ctx: RpcRequest, from: string): Compiled {
  return {
    text: `SELECT ${GUCS} FROM ${from}`,
    finish(row) {
      if (ctx.prefer.count !== null) ctx.applied.push(`count=${ctx.prefer.count}`)
      const total = ctx.prefer.count !== null ? 1 : null
      const result: RestResult = {
        status: 204,
        headers: { 'Content-Range': contentRange(0, 1, total) },
        body: null,
      }
      applyGucs(result, row)
      return result
    },
  }
}

/** A scalar: the bare JSON value; a set of scalars: a JSON array of them, paginated. */
function callScalar(ctx: RpcRequest, fn: FunctionInfo, from: string, alias: string): Compiled {
  const value = `${ident(alias)}.${ident(SCALAR_COLUMN)}`
  const asText = ctx.media.kind === 'text' || ctx.media.kind === 'xml' || ctx.media.kind === 'octet'
  if (!fn.returnsSet) {
    const body = asText ? `${value}::text` : `to_json(${value})::text`
    // One value is one row: counted, its total is 1 (`Content-Range: 0-0/1`, as PostgREST).
    const total = ctx.prefer.count !== null ? 1 : null
    return {
      text: `SELECT NULL::bigint AS total, 1::bigint AS page_total, ${body} AS body, ${GUCS} FROM ${from}`,
      finish: (row) => {
        if (ctx.prefer.count !== null) ctx.applied.push(`count=${ctx.prefer.count}`)
        return resultFromRow(ctx, row, 200, { 'Content-Range': contentRange(0, 1, total) })
      },
    }
  }
  const { limit, offset } = pagination(ctx)
  const counted =
    ctx.prefer.count === 'exact' || ctx.prefer.count === 'estimated' || ctx.prefer.count === 'planned'
  const source =
    `SELECT ${value} AS ${ident(SCALAR_COLUMN)}, ${counted ? 'count(*) OVER ()' : 'NULL::bigint'} AS pgrst_total FROM ${from}` +
    (limit !== null ? ` LIMIT ${limit}` : '') +
    (offset > 0 ? ` OFFSET ${offset}` : '')
  const body = asText
    ? `coalesce(string_agg(${ident(SCALAR_COLUMN)}::text, E'\\n'), '')`
    : `coalesce(json_agg(${ident(SCALAR_COLUMN)}), '[]')::text`
  return {
    text: `WITH pgrst_source AS (${source}) SELECT max(pgrst_total) AS total, count(*) AS page_total, ${body} AS body, ${GUCS} FROM pgrst_source`,
    finish: (row) => paged(ctx, row, offset),
  }
}

/** Rows (a table type, a composite, OUT parameters, `RETURNS TABLE`): filtered, embedded, paged. */
function callRows(
  ctx: RpcRequest,
  fn: FunctionInfo,
  from: string,
  alias: string,
  params: SqlParams,
): Compiled {
  const relation = resultRelation(ctx, fn)
  const plan = buildPlan(ctx.cache, relation, ctx.query, {
    rootAlias: alias,
    aggregates: ctx.options.aggregates,
    authorize: ctx.authorize,
  })
  const node = compileNode(ctx.cache, plan, params, 'root', compileOptionsFor(ctx))
  const where = node.conditions.length > 0 ? ` WHERE ${node.conditions.join(' AND ')}` : ''
  const { limit, offset } = fn.returnsSet ? pagination(ctx) : { limit: null, offset: 0 }
  const counted = fn.returnsSet && ctx.prefer.count !== null
  // Counting reads the call twice: materialise it once so a volatile function runs once.
  const ctes = counted ? [`pgrst_call AS MATERIALIZED (SELECT ${ident(alias)}.* FROM ${from})`] : []
  const source = counted ? `pgrst_call AS ${ident(alias)}` : from
  const select =
    `SELECT ${node.columns} FROM ${source} ${node.joins}${where}` +
    (node.groupBy ? ` GROUP BY ${node.groupBy}` : '') +
    (node.orderBy ? ` ORDER BY ${node.orderBy}` : '') +
    (limit !== null ? ` LIMIT ${limit}` : '') +
    (offset > 0 ? ` OFFSET ${offset}` : '')
  const countSql = counted
    ? `SELECT pg_catalog.count(*) FROM ${source} ${node.conditionsUseJoins ? node.joins : ''}${where}`
    : null
  // A function returning one composite answers an object, not a one-element array.
  const media =
    !fn.returnsSet && (ctx.media.kind === 'json' || ctx.media.kind === 'array')
      ? { ...ctx.media, kind: 'object' as const }
      : ctx.media
  return {
    text: compileResponse({ source: select, media, countSql, ctes, params, relation }),
    finish: (row) =>
      fn.returnsSet
        ? paged(ctx, row, offset)
        : resultFromRow(ctx, row, 200, { 'Content-Range': contentRange(0, Number(row.page_total), null) }),
  }
}

function paged(ctx: RpcRequest, row: ResponseRow, offset: number): RestResult {
  const pageTotal = Number(row.page_total)
  // `Prefer: handling=strict, max-affected=n`: the call's rows are what it affected; the thrown
  // error rolls the transaction, and so the function's writes, back.
  const max = ctx.prefer.handling === 'strict' ? ctx.prefer.maxAffected : null
  if (max !== null && pageTotal > max) {
    throw pgrstError(
      'PGRST124',
      'Query result exceeds max-affected preference constraint',
      `The query affects ${pageTotal} rows`,
    )
  }
  const total = ctx.prefer.count !== null && row.total !== null ? Number(row.total) : null
  if (ctx.prefer.count !== null) ctx.applied.push(`count=${ctx.prefer.count}`)
  const status = total !== null && pageTotal < total ? 206 : 200
  return resultFromRow(ctx, row, status, { 'Content-Range': contentRange(offset, pageTotal, total) })
}

/** Root `limit`/`offset` and `Range`, capped by `maxRows`. */
function pagination(ctx: RpcRequest): { limit: number | null; offset: number } {
  const maxRows = ctx.options.maxRows ?? null
  let limit = ctx.range.limit
  if (maxRows !== null) limit = limit === null ? maxRows : Math.min(limit, maxRows)
  return { limit, offset: ctx.range.offset }
}

/**
 * The relation describing the function's rows: the returned table/view (so its relationships
 * embed), else one built from the function's output columns (`RETURNS TABLE`, OUT parameters, a
 * composite type), so `select`, filters and `order` resolve them as they do a table's.
 */
function resultRelation(ctx: RpcRequest, fn: FunctionInfo): Relation {
  if (fn.returnRelation) {
    const relation = ctx.cache.relations.get(qualifiedKey(fn.returnRelation.schema, fn.returnRelation.name))
    if (relation) return relation
  }
  const columns: Column[] = fn.columns.map((c, i) => ({
    name: c.name,
    type: c.type,
    udtName: c.udtName,
    nullable: true,
    default: null,
    generated: false,
    primaryKey: false,
    enumValues: null,
    maxLength: null,
    description: null,
    position: i + 1,
  }))
  return {
    schema: fn.schema,
    name: fn.name,
    kind: 'view',
    columns,
    columnMap: new Map(columns.map((c) => [c.name, c])),
    primaryKey: [],
    insertable: false,
    updatable: false,
    deletable: false,
    description: null,
  }
}
