/**
 * POST (insert, upsert), PATCH (update), PUT (single-row upsert) and DELETE on a table or view.
 *
 * One statement per request: the data-modifying statement runs in a CTE (`pgrst_mutation`) and
 * the response — the representation with `select=` and embeds, or only the count — is read from
 * it by the same compilers as a GET, so embeds, casts and media types behave identically.
 *
 * @see https://docs.postgrest.org/en/v14/references/api/tables_views.html#insert
 * @see https://docs.postgrest.org/en/v14/references/api/tables_views.html#update
 * @see https://docs.postgrest.org/en/v14/references/api/tables_views.html#upsert
 * @see https://docs.postgrest.org/en/v14/references/api/tables_views.html#delete
 * @see https://docs.postgrest.org/en/v14/references/api/preferences.html
 */
import { buildPlan } from '../compiler/plan'
import { compileResponse, type ResponseRow, UPDATED_SETTING } from '../compiler/response'
import { compileNode } from '../compiler/select'
import { ident, qualified, SqlParams } from '../compiler/sql'
import { filterSql, logicSql } from '../compiler/where'
import type { Executor, RestContext, RestResult } from '../context'
import { pgrstError } from '../errors'
import { explainStatement } from '../execution/explain'
import { resultFromRow } from '../execution/result'
import { namedStatement } from '../execution/statement-names'
import { compileOptionsFor } from '../extensions/compile'
import type { ParsedQuery } from '../parser/ast'
import type { Relation } from '../schema-cache/types'
import { deleteStatement, insertStatement, type Returning, resolveColumns, updateStatement } from './mutation'
import { type Payload, parsePayload, uniformKeys } from './payload'
import { checkPut } from './put'

/** The CTE holding the data-modifying statement. */
const MUTATION = 'pgrst_mutation'

/** Statuses whose responses cannot carry a body (Fetch's "null body status"). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304])

/** What the client gets back, from `Prefer: return=` (PostgREST's default is minimal). */
type ReturnMode = 'minimal' | 'headers-only' | 'representation'

/** What a write needs from the request: everything but the open transaction. */
export type WriteRequest = Omit<RestContext, 'tx'>

/** A compiled write: one statement, and how to turn its response row into the answer. */
export interface PreparedWrite {
  statement: { name?: string; text: string; values: unknown[] }
  /**
   * Builds the result from the statement's row, or throws (max-affected PGRST124, singular
   * PGRST116, GUC errors) — the caller must then roll the transaction back.
   */
  finish(row: ResponseRow): RestResult
}

/** Compiles a POST/PUT/PATCH/DELETE without touching the database. */
export function prepareWrite(ctx: WriteRequest): PreparedWrite {
  const relation = ctx.relation
  if (!relation) throw pgrstError('PGRST125', 'Invalid path specified in request URL')
  const mode: ReturnMode = ctx.prefer.return ?? 'minimal'
  if (ctx.prefer.return) ctx.applied.push(`return=${ctx.prefer.return}`)
  const params = new SqlParams()

  let mutation: string
  // Rows in the body: an upsert that inserted none of them answers 200 rather than 201.
  let payloadRows = 0
  switch (ctx.method) {
    case 'POST':
      ;({ sql: mutation, rows: payloadRows } = insert(ctx, relation, params, mode))
      break
    case 'PUT':
      ;({ sql: mutation, rows: payloadRows } = put(ctx, relation, params, mode))
      break
    case 'PATCH':
      mutation = update(ctx, relation, params, mode)
      break
    case 'DELETE':
      mutation = remove(ctx, relation, params, mode)
      break
    default:
      throw pgrstError('PGRST117', `Unsupported HTTP method: ${ctx.method}`)
  }
  const text = responseSql(ctx, relation, params, mutation, mode)
  // Named: a request shape's SQL is the same whatever its values, so Postgres plans it once per connection.
  return {
    statement: namedStatement(ctx, text, params.values),
    finish: (row) => finish(ctx, relation, mode, row, payloadRows),
  }
}

/** Runs a write inside the request's transaction (the pipeline may instead pipeline it). */
export const executeWrite: Executor = async (ctx) => {
  const write = prepareWrite(ctx)
  if (ctx.media.kind === 'plan') return explainStatement(ctx, write.statement)
  const { rows } = await ctx.tx.query<ResponseRow & Record<string, unknown>>(write.statement)
  return write.finish(rows[0] as ResponseRow)
}

function returningFor(mode: ReturnMode): Returning {
  return mode === 'minimal' ? 'count' : 'rows'
}

/** The body's rows and the columns to write (`columns=` or the keys). */
function payloadColumns(ctx: WriteRequest, relation: Relation): { payload: Payload; names: string[] } {
  const payload = parsePayload(ctx.body, ctx.contentType)
  let names: string[]
  if (ctx.query.columns) {
    names = ctx.query.columns
  } else {
    if (!payload.single && payload.rows.length > 1 && !uniformKeys(payload)) {
      throw pgrstError('PGRST102', 'All object keys must match')
    }
    names = payload.keys
  }
  const columns = resolveColumns(relation, names)
  // Extensions' column types check their values first (e.g. geo's GeoJSON/WKT), for a clear 400.
  for (const column of columns) {
    const check = ctx.extensions.columnTypes.get(column.udtName)?.check
    if (!check) continue
    for (const row of payload.rows) {
      const value = row[column.name]
      if (value !== undefined && value !== null) check(value, column)
    }
  }
  return { payload, names: columns.map((c) => c.name) }
}

function insert(
  ctx: WriteRequest,
  relation: Relation,
  params: SqlParams,
  mode: ReturnMode,
): { sql: string; rows: number } {
  const { payload, names } = payloadColumns(ctx, relation)
  const columns = resolveColumns(relation, names)
  let onConflict: { action: 'merge' | 'ignore'; target: string[] } | null = null
  if (ctx.prefer.resolution) {
    const target = ctx.query.onConflict ?? relation.primaryKey
    resolveColumns(relation, target)
    onConflict = { action: ctx.prefer.resolution === 'merge-duplicates' ? 'merge' : 'ignore', target }
    ctx.applied.push(`resolution=${ctx.prefer.resolution}`)
  }
  if (ctx.prefer.missing === 'default') ctx.applied.push('missing=default')
  const sql = insertStatement(params, {
    relation,
    payload,
    columns,
    missingDefault: ctx.prefer.missing === 'default',
    onConflict,
    returning: returningFor(mode),
    inputs: ctx.extensions.columnTypes,
  })
  return { sql, rows: payload.rows.length }
}

function put(
  ctx: WriteRequest,
  relation: Relation,
  params: SqlParams,
  mode: ReturnMode,
): { sql: string; rows: number } {
  const { payload, names } = payloadColumns(ctx, relation)
  checkPut(ctx, relation, payload)
  const sql = insertStatement(params, {
    relation,
    payload,
    columns: resolveColumns(relation, names),
    missingDefault: false,
    onConflict: { action: 'merge', target: relation.primaryKey },
    returning: returningFor(mode),
    inputs: ctx.extensions.columnTypes,
  })
  return { sql, rows: payload.rows.length }
}

function update(ctx: WriteRequest, relation: Relation, params: SqlParams, mode: ReturnMode): string {
  const { payload, names } = payloadColumns(ctx, relation)
  const row = payload.rows[0]
  if (!row || names.length === 0) {
    // PostgREST answers an empty PATCH body without touching any row.
    return `SELECT ${qualified(relation.schema, relation.name)}.* FROM ${qualified(relation.schema, relation.name)} WHERE FALSE`
  }
  return updateStatement(params, {
    relation,
    row,
    columns: resolveColumns(relation, names),
    where: whereFor(ctx, relation, params),
    returning: returningFor(mode),
    inputs: ctx.extensions.columnTypes,
  })
}

function remove(ctx: WriteRequest, relation: Relation, params: SqlParams, mode: ReturnMode): string {
  return deleteStatement({ relation, where: whereFor(ctx, relation, params), returning: returningFor(mode) })
}

/**
 * The root filters as the WHERE of an UPDATE/DELETE. With `limit=` (and `order=`), only that
 * many rows are affected, chosen by `ctid` as PostgREST does.
 *
 * @see https://docs.postgrest.org/en/v14/references/api/tables_views.html#limited-update-delete
 */
function whereFor(ctx: WriteRequest, relation: Relation, params: SqlParams): string {
  const limited = ctx.range.limit !== null || ctx.range.offset > 0
  const alias = limited ? 'pgrst_limited' : relation.name
  const scope = { cache: ctx.cache, relation, alias, extensions: ctx.extensions }
  const conditions: string[] = []
  for (const { path, filter } of ctx.query.filters)
    if (path.length === 0) conditions.push(filterSql(scope, filter, params))
  for (const { path, tree } of ctx.query.logic)
    if (path.length === 0) conditions.push(logicSql(scope, tree, params))
  if (!limited) return conditions.join(' AND ')
  if (relation.kind !== 'table' && relation.kind !== 'partitioned_table') {
    throw pgrstError('PGRST127', 'limit on PATCH/DELETE is only supported on tables')
  }
  const plan = buildPlan(
    ctx.cache,
    relation,
    { ...rootOnly(ctx.query), select: [] },
    {
      rootAlias: alias,
      aggregates: false,
    },
  )
  const order = compileNode(ctx.cache, plan, params, 'root', compileOptionsFor(ctx)).orderBy
  const inner =
    `SELECT ${ident(alias)}.ctid FROM ${qualified(relation.schema, relation.name)} AS ${ident(alias)}` +
    (conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '') +
    (order ? ` ORDER BY ${order}` : '') +
    (ctx.range.limit !== null ? ` LIMIT ${ctx.range.limit}` : '') +
    (ctx.range.offset > 0 ? ` OFFSET ${ctx.range.offset}` : '')
  return `${qualified(relation.schema, relation.name)}.ctid = ANY(ARRAY(${inner}))`
}

/** The query without its root filters (those went into the mutation's WHERE). */
function rootOnly(query: ParsedQuery): ParsedQuery {
  return {
    ...query,
    filters: query.filters.filter((f) => f.path.length > 0),
    logic: query.logic.filter((l) => l.path.length > 0),
    limits: query.limits.filter((l) => l.path.length > 0),
  }
}

/** The statement: the mutation CTE and the response (count, representation, Location) read from it. */
function responseSql(
  ctx: WriteRequest,
  relation: Relation,
  params: SqlParams,
  mutation: string,
  mode: ReturnMode,
): string {
  let source: string
  if (mode === 'representation') {
    const plan = buildPlan(ctx.cache, relation, rootOnly(ctx.query), {
      rootAlias: relation.name,
      aggregates: ctx.options.aggregates,
      authorize: ctx.authorize,
    })
    const node = compileNode(ctx.cache, plan, params, 'root', compileOptionsFor(ctx))
    source =
      `SELECT ${node.columns} FROM ${MUTATION} AS ${ident(plan.alias)} ${node.joins}` +
      (node.conditions.length > 0 ? ` WHERE ${node.conditions.join(' AND ')}` : '') +
      (node.groupBy ? ` GROUP BY ${node.groupBy}` : '') +
      (node.orderBy ? ` ORDER BY ${node.orderBy}` : '')
  } else if (mode === 'headers-only' && relation.primaryKey.length > 0) {
    source = `SELECT ${relation.primaryKey.map((k) => `${MUTATION}.${ident(k)}`).join(', ')} FROM ${MUTATION}`
  } else {
    source = `SELECT 1 FROM ${MUTATION}`
  }
  return compileResponse({
    source,
    media: mode === 'representation' ? ctx.media : { ...ctx.media, kind: 'json', stripNulls: false },
    ctes: [`${MUTATION} AS (${mutation})`],
    extra: upserts(ctx) ? [`nullif(current_setting('${UPDATED_SETTING}', true), '') AS upsert_updated`] : [],
    params,
    relation,
  })
}

/** The answer from the response row; throws when a precondition fails (the write must roll back). */
function finish(
  ctx: WriteRequest,
  relation: Relation,
  mode: ReturnMode,
  row: ResponseRow,
  payloadRows: number,
): RestResult {
  const affected = Number(row.page_total)

  // max-affected is a precondition: only honoured with handling=strict, checked before anything is
  // answered so the thrown error rolls the transaction back.
  if (
    ctx.prefer.handling === 'strict' &&
    ctx.prefer.maxAffected !== null &&
    (ctx.method === 'PATCH' || ctx.method === 'DELETE')
  ) {
    ctx.applied.push('handling=strict', `max-affected=${ctx.prefer.maxAffected}`)
    if (affected > ctx.prefer.maxAffected) {
      throw pgrstError(
        'PGRST124',
        'Query result exceeds max-affected preference constraint',
        `The query affects ${affected} rows`,
      )
    }
  }

  if (ctx.prefer.count !== null) ctx.applied.push(`count=${ctx.prefer.count}`)
  // A write counts what it affected for `exact` and `estimated`; `planned` has no plan to read.
  const total = ctx.prefer.count === 'exact' || ctx.prefer.count === 'estimated' ? affected : null
  // PostgREST's Content-Range of writes: PATCH gives the range of rows it touched, POST, PUT and
  // DELETE only the total (`*/n`).
  const headers: Record<string, string> = {
    'Content-Range':
      ctx.method === 'PATCH' && affected > 0 ? `0-${affected - 1}/${total ?? '*'}` : `*/${total ?? '*'}`,
  }
  if (mode === 'headers-only' && ctx.method === 'POST') {
    const location = locationOf(relation, row.body)
    if (location) headers.Location = location
  }
  const result = resultFromRow(ctx, row, writeStatus(ctx, mode, row, payloadRows), headers)
  if (mode !== 'representation') {
    // An empty (not absent) body on 201: adapters then send `Content-Length: 0` rather than an
    // empty chunked body, whose terminating chunk costs keep-alive clients a delayed-ACK stall.
    // Null-body statuses (204, 304…, possibly set by a `response.status` GUC) must have none.
    result.body = NULL_BODY_STATUSES.has(result.status) ? null : ''
    delete result.headers['Content-Type']
  }
  return result
}

/** Whether the write is an upsert that updates conflicting rows (POST merge-duplicates, PUT). */
function upserts(ctx: WriteRequest): boolean {
  return ctx.method === 'PUT' || (ctx.method === 'POST' && ctx.prefer.resolution === 'merge-duplicates')
}

/**
 * PostgREST's statuses: POST 201, or 200 for a merge-duplicates upsert that inserted no row; PUT
 * 201 when it inserted, 200 when it replaced (204 without a representation); PATCH and DELETE 200
 * with a representation, else 204.
 */
function writeStatus(ctx: WriteRequest, mode: ReturnMode, row: ResponseRow, payloadRows: number): number {
  const updated = Number(row.upsert_updated ?? 0)
  if (ctx.method === 'POST') {
    if (!upserts(ctx)) return 201
    return payloadRows - updated > 0 ? 201 : 200
  }
  if (mode !== 'representation') return 204
  if (ctx.method === 'PUT') return updated > 0 ? 200 : 201
  return 200
}

/** `Location: /table?pk=eq.value` for the first inserted row (PostgREST's headers-only answer). */
function locationOf(relation: Relation, body: string): string | null {
  if (relation.primaryKey.length === 0) return null
  let rows: Array<Record<string, unknown>>
  try {
    rows = JSON.parse(body) as Array<Record<string, unknown>>
  } catch {
    return null
  }
  const first = rows[0]
  if (!first) return null
  const query = relation.primaryKey
    .map((k) => `${encodeURIComponent(k)}=eq.${encodeURIComponent(String(first[k]))}`)
    .join('&')
  return `/${encodeURIComponent(relation.name)}?${query}`
}
