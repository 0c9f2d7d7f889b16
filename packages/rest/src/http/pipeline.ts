import { assertAccess, type Principal, type Transaction } from '@groundwork/core'
import { assertJsonDepth, boundedHeader, decodeSegment } from '@groundwork/core/kit'
import type { ResponseRow } from '../compiler/response'
import type { Executor, RestContext, RestMethod, RestResult } from '../context'
import { pgrstError, RestError } from '../errors'
import { pipelinedRead } from '../execution/pipelined-read'
import { applyRequestSetup, requestSetup } from '../execution/request-setup'
import type { StatementNames } from '../execution/statement-names'
import type { ExtensionRegistry } from '../extensions/registry'
import type { OpenApiVisibility } from '../openapi/document'
import { visibleTo } from '../openapi/visibility'
import type { ResolvedRestOptions } from '../options'
import type { ParsedQuery } from '../parser/ast'
import { assertEmbedLimits } from '../parser/embed-limits'
import { isOperatorName } from '../parser/filter'
import { parseQuery } from '../parser/query'
import { finishRead, isSingleStatement, prepareRead, readStatement } from '../read/execute-read'
import { prepareRpc, schemaFunctionNames } from '../rpc/index'
import { type BodyKind, functionNotFound } from '../rpc/resolve'
import { fuzzyBest, NAME_MIN_SCORE } from '../schema-cache/fuzzy'
import type { FunctionInfo, Relation, SchemaCache } from '../schema-cache/types'
import { qualifiedKey } from '../schema-cache/types'
import { prepareWrite } from '../write/index'
import { pipelinedWrite } from '../write/pipelined'
import { negotiate } from './media'
import { parsePrefer } from './prefer'
import { requestRange } from './range'
import type { ServerTiming } from './server-timing'

/** A request in transport-neutral form (the handler and `api.query` both build one). */
export interface RestRequest {
  method: string
  /** Mount-relative URL (path and query). */
  url: URL
  headers: Headers
  body: string
  /** Aborts when the client goes away: the running statement is then cancelled. */
  signal?: AbortSignal | undefined
  /** Phase timings for `Server-Timing` (`serverTimingEnabled`). */
  timing?: ServerTiming | undefined
}

/** What the pipeline needs from `createRest`. */
export interface PipelineDeps {
  options: ResolvedRestOptions
  cache: () => Promise<SchemaCache>
  executeRead: Executor
  executeWrite: Executor
  executeRpc: Executor
  openapi: (cache: SchemaCache, schema: string, url: URL, visible: OpenApiVisibility | null) => string
  /** The instance's prepared-statement names. */
  statements: StatementNames
  /** What extensions contribute (`createRest({ extensions })`). */
  extensions: ExtensionRegistry
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'])

/** Thrown inside the transaction to roll it back while still answering `result`. */
class Rollback {
  constructor(readonly result: RestResult) {}
}

/**
 * Runs one request through routing, negotiation and the claims transaction; returns the result
 * or throws a `RestError`. Headers common to every answer (CORS) are added by the handler.
 */
export async function runPipeline(
  deps: PipelineDeps,
  request: RestRequest,
  principal: Principal,
  transaction?: Transaction,
): Promise<RestResult> {
  const { options } = deps
  const method = request.method.toUpperCase()
  // Each segment decoded on its own: an encoded "/" cannot turn `/rpc%2Ffn` into an RPC route.
  const segments = request.url.pathname
    .split('/')
    .filter((s) => s !== '')
    .map(decodeSegment)
  const path = `/${segments.join('/')}`
  let cache: SchemaCache
  try {
    cache = await deps.cache()
  } catch (error) {
    throw new RestError('PGRST002', 'Could not query the database for the schema cache. Retrying.', {
      status: 503,
      headers: { 'Retry-After': '1' },
      cause: error,
    })
  }

  const isRpc = segments.length === 2 && segments[0] === 'rpc'
  if (segments.length > 1 && !isRpc) {
    throw pgrstError('PGRST125', `Invalid path specified in request URL`)
  }

  if (method === 'OPTIONS' && segments.length === 0) {
    return { status: 200, headers: { Allow: 'OPTIONS,GET,HEAD' }, body: null }
  }
  if (!METHODS.has(method) && method !== 'OPTIONS') {
    throw pgrstError('PGRST117', `Unsupported HTTP method: ${method}`)
  }

  const readLike = method === 'GET' || method === 'HEAD'
  const { schema, explicit } = pickSchema(options.schemas, request.headers, readLike || method === 'OPTIONS')

  if (segments.length === 0) {
    if (!readLike) throw pgrstError('PGRST117', `Unsupported HTTP method: ${method}`)
    if (!options.openapi || options.openapiMode === 'disabled') {
      throw pgrstError('PGRST126', 'Root endpoint metadata is disabled')
    }
    // PostgREST runs the pre-request function before the root document too (it may refuse), and
    // by default lists only what the caller's role has privileges on.
    let visible: OpenApiVisibility | null = null
    if (options.preRequest || options.openapiMode === 'follow-privileges') {
      visible = await options.db.withClaims(
        principal.claims,
        async (tx) => {
          const restore = await applyRequestSetup(tx, options, schema, {
            callerTransaction: transaction !== undefined,
            timezone: null,
          })
          const seen = options.openapiMode === 'follow-privileges' ? await visibleTo(tx, schema) : null
          await restore()
          return seen
        },
        { method, path, headers: request.headers, readOnly: true, ...(transaction ? { transaction } : {}) },
      )
    }
    const body = deps.openapi(cache, schema, request.url, visible)
    return {
      status: 200,
      headers: { 'Content-Type': 'application/openapi+json; charset=utf-8' },
      body: method === 'HEAD' ? null : body,
    }
  }

  let relation: Relation | null = null
  let rpc: RestContext['rpc'] = null
  if (isRpc) {
    const name = segments[1] as string
    const overloads = cache.functions.get(qualifiedKey(schema, name))
    if (!overloads || overloads.length === 0) {
      const post = method === 'POST'
      throw functionNotFound({
        schema,
        name,
        keys: requestedArguments(request, readLike),
        post,
        body: post ? requestBodyKind(request.headers) : 'json',
        overloads: [],
        schemaFunctions: schemaFunctionNames(cache, schema),
      })
    }
    rpc = { name, overloads }
    if (method === 'OPTIONS') {
      const allow = overloads.every((f) => f.volatility !== 'volatile')
        ? 'OPTIONS,GET,HEAD,POST'
        : 'OPTIONS,POST'
      return { status: 200, headers: { Allow: allow }, body: null }
    }
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
      throw pgrstError('PGRST101', `Cannot use the ${method} method on RPC`)
    }
  } else {
    const name = segments[0] as string
    relation = cache.relations.get(qualifiedKey(schema, name)) ?? null
    if (!relation) {
      throw new RestError('PGRST205', `Could not find the table '${schema}.${name}' in the schema cache`, {
        hint: suggestTable(cache, schema, name),
      })
    }
    if (method === 'OPTIONS') return { status: 200, headers: { Allow: allowFor(relation) }, body: null }
  }

  const extensions = deps.extensions
  await extensions.prepare()
  const argNames = rpc && readLike ? rpcArgumentNames(rpc.overloads) : null
  const query: ParsedQuery = parseQuery(
    request.url.searchParams,
    argNames ? (key, value) => isRpcArgument(argNames, key, value, extensions) : undefined,
    extensions,
  )
  assertEmbedLimits(query.select, options)
  const prefer = parsePrefer(boundedHeader(request.headers, 'prefer'))
  if (prefer.handling === 'strict' && prefer.invalid.length > 0) {
    throw pgrstError(
      'PGRST122',
      'Invalid preferences given with handling=strict',
      `Invalid preferences: ${prefer.invalid.join(', ')}`,
    )
  }
  const scalarRpc = rpc?.overloads.every((f) => f.returnShape === 'scalar' || f.returnShape === 'void')
  const media = negotiate(
    boundedHeader(request.headers, 'accept'),
    { csv: !scalarRpc, scalarText: rpc !== null, plan: options.planEnabled, rpc: rpc !== null },
    extensions,
  )
  const rootLimit = query.limits.find((l) => l.path.length === 0)
  const range = requestRange(
    boundedHeader(request.headers, 'range'),
    rootLimit?.limit ?? null,
    rootLimit?.offset ?? null,
    method,
  )
  const contentType =
    (boundedHeader(request.headers, 'content-type') ?? 'application/json')
      .split(';')[0]
      ?.trim()
      .toLowerCase() || 'application/json'
  // Deep JSON would overflow whatever walks it next (jsonb input, JSON.stringify): refuse it first.
  if (contentType.includes('json')) assertJsonDepth(request.body, options.maxJsonDepth)

  const restMethod = (method === 'OPTIONS' ? 'GET' : method) as RestMethod
  const executor = rpc ? deps.executeRpc : readLike ? deps.executeRead : deps.executeWrite
  const readOnly = readLike || rpc?.overloads.every((f) => f.volatility !== 'volatile')
  // Scopes and allowed tables (API keys): reads, calls of functions that are not volatile and
  // subscriptions need `read`; everything else `write`. Embeds are checked as they are planned.
  const operation = readOnly ? 'read' : 'write'
  const serviceRole = options.db.roles.service
  assertAccess(
    principal,
    { operation, tables: [rpc ? `${schema}.${rpc.name}` : `${schema}.${(relation as Relation).name}`] },
    serviceRole,
  )
  const authorize = (target: Relation) =>
    assertAccess(principal, { operation, tables: [`${target.schema}.${target.name}`] }, serviceRole)

  // Prefer: tx= is honoured only when the configuration allows overriding (PostgREST's db-tx-end).
  const allowOverride = options.txEnd.endsWith('allow-override')
  let rollback = options.txEnd.startsWith('rollback')
  const applied: string[] = []
  if (allowOverride && prefer.tx) {
    rollback = prefer.tx === 'rollback'
    applied.push(`tx=${prefer.tx}`)
  }

  const claims = principal.claims
  const base: Omit<RestContext, 'tx'> = {
    method: restMethod,
    path,
    url: request.url,
    headers: request.headers,
    schema,
    profileExplicit: explicit,
    relation,
    rpc,
    query,
    params: request.url.searchParams,
    prefer,
    media,
    contentType,
    body: request.body,
    range,
    principal,
    cache,
    authorize,
    statements: deps.statements,
    options,
    applied,
    extensions,
  }
  const context = { method, path, headers: request.headers }
  const setup = transaction ? [] : requestSetup(options.db, options, principal, context, schema)
  const timing = request.timing
  timing?.lap('parse')
  let result: RestResult | null = null
  // Plan output (EXPLAIN) runs in a transaction of its own that is always rolled back: explaining
  // a write or a call with `analyze` executes it, and must not change anything.
  const explaining = media.kind === 'plan'
  // Hot path: a read that is one statement runs pipelined (one round trip instead of four).
  if (!transaction && relation && readLike && !prefer.timezone && !explaining) {
    const read = prepareRead(base)
    timing?.lap('plan')
    if (isSingleStatement(base, read)) {
      const { rows } = await pipelinedRead<ResponseRow>(
        options.db,
        setup,
        readStatement(base, read),
        rollback,
        request.signal,
      )
      timing?.lap('transaction')
      const row = rows[0] as ResponseRow
      result = finishRead(base, read, row, row.total === null ? null : Number(row.total))
    }
  }

  // Writes: BEGIN, claims and the statement pipelined, then COMMIT once the result passed its
  // checks (two round trips instead of four). See write/pipelined.ts.
  if (result === null && !transaction && relation && !readLike && !prefer.timezone && !explaining) {
    const write = prepareWrite(base)
    timing?.lap('plan')
    result = await pipelinedWrite(options.db, setup, write, { rollback, signal: request.signal })
    timing?.lap('transaction')
  }
  // RPC: the call is one statement too (READ ONLY for GET/HEAD and non-volatile functions).
  if (result === null && !transaction && rpc && !prefer.timezone && !explaining) {
    const call = prepareRpc(base)
    timing?.lap('plan')
    result = await pipelinedWrite(options.db, setup, call, { rollback, readOnly, signal: request.signal })
    timing?.lap('transaction')
  }

  if (result === null) {
    const work = async (tx: Transaction): Promise<RestResult> => {
      const ctx: RestContext = { ...base, tx }
      const restore = await applyRequestSetup(tx, options, schema, {
        callerTransaction: transaction !== undefined,
        timezone: prefer.timezone,
      })
      if (prefer.timezone) applied.push(`timezone=${prefer.timezone}`)
      const executed = await executor(ctx)
      if (rollback || explaining) throw new Rollback(executed)
      await restore()
      return executed
    }
    try {
      result = await options.db.withClaims(claims, work, {
        ...context,
        readOnly,
        ...(principal.checks ? { checks: principal.checks } : {}),
        signal: request.signal,
        ...(transaction ? { transaction } : {}),
      })
    } catch (error) {
      if (error instanceof Rollback) result = error.result
      else throw error
    }
    timing?.lap('transaction')
  }
  if (applied.length > 0) {
    const existing = result.headers['Preference-Applied']
    result.headers['Preference-Applied'] = [existing, ...applied].filter(Boolean).join(', ')
  }
  if (explicit || options.schemas.length > 1) result.headers['Content-Profile'] ??= schema
  if (method === 'HEAD') result.body = null
  return result
}

/**
 * `Accept-Profile` (reads) / `Content-Profile` (writes) choose among the exposed schemas.
 *
 * @see https://docs.postgrest.org/en/v14/references/api/schemas.html
 */
function pickSchema(
  schemas: readonly string[],
  headers: Headers,
  readLike: boolean,
): { schema: string; explicit: boolean } {
  const requested = boundedHeader(headers, readLike ? 'accept-profile' : 'content-profile')
  if (requested === null) return { schema: schemas[0] as string, explicit: false }
  if (!schemas.includes(requested)) {
    throw pgrstError(
      'PGRST106',
      `Invalid schema: ${requested}`,
      null,
      `Only the following schemas are exposed: ${schemas.join(', ')}`,
    )
  }
  return { schema: requested, explicit: true }
}

function allowFor(relation: Relation): string {
  const verbs = ['OPTIONS', 'GET', 'HEAD']
  if (relation.insertable) verbs.push('POST')
  if (relation.insertable && relation.updatable) verbs.push('PUT')
  if (relation.updatable) verbs.push('PATCH')
  if (relation.deletable) verbs.push('DELETE')
  return verbs.join(',')
}

const RESERVED_PARAMETERS = new Set([
  'select',
  'order',
  'limit',
  'offset',
  'on_conflict',
  'columns',
  'or',
  'and',
  'not.or',
  'not.and',
])

/** The argument names a call to an unknown function used (for PGRST202's message, as PostgREST words it). */
function requestedArguments(request: RestRequest, readLike: boolean): string[] {
  if (readLike) {
    return [
      ...new Set(
        [...request.url.searchParams]
          .filter(([k, v]) => !RESERVED_PARAMETERS.has(k) && !k.includes('.') && !looksLikeFilter(v))
          .map(([k]) => k),
      ),
    ]
  }
  if (requestBodyKind(request.headers) !== 'json') return []
  try {
    const body: unknown = JSON.parse(request.body)
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.keys(body) : []
  } catch {
    return []
  }
}

/** The body kind of a call, from its `Content-Type` (PostgREST's default is JSON). */
function requestBodyKind(headers: Headers): BodyKind {
  const type = (headers.get('content-type') ?? 'application/json').split(';')[0]?.trim().toLowerCase()
  if (type === 'text/plain') return 'text'
  if (type === 'text/xml' || type === 'application/xml') return 'xml'
  if (type === 'application/octet-stream') return 'octet'
  if (type === 'application/x-www-form-urlencoded') return 'form'
  return 'json'
}

/**
 * Whether a GET/HEAD call's query parameter is a function argument rather than a filter on its
 * result: a parameter named like one of the overloads' parameters always is; another one is when
 * its value is not an operator expression (`?x=1` is an argument, `?x=gt.1` a filter), so a call
 * with a wrong argument name answers PGRST202 as in PostgREST, not a filter parse error.
 */
function isRpcArgument(
  argNames: ReadonlySet<string>,
  key: string,
  value: string,
  extensions?: ExtensionRegistry,
): boolean {
  if (argNames.has(key)) return true
  if (RESERVED_PARAMETERS.has(key) || key.includes('.')) return false
  return !looksLikeFilter(value, extensions)
}

/** `[not.]op.value` or `[not.]op(mod).value` with a known operator. */
function looksLikeFilter(value: string, extensions?: ExtensionRegistry): boolean {
  const match = /^(?:not\.)?([a-z][a-z0-9_]*)(?:\([^)]*\))?\./.exec(value)
  return match !== null && isOperatorName(match[1] as string, extensions)
}

function rpcArgumentNames(overloads: FunctionInfo[]): Set<string> {
  const names = new Set<string>()
  for (const fn of overloads) for (const arg of fn.args) if (arg.name) names.add(arg.name)
  return names
}

/** PostgREST's "Perhaps you meant the table" hint: a fuzzy match of at least 0.75, else none. */
function suggestTable(cache: SchemaCache, schema: string, name: string): string | null {
  const names: string[] = []
  for (const relation of cache.relations.values()) if (relation.schema === schema) names.push(relation.name)
  const best = fuzzyBest(names, name, NAME_MIN_SCORE)
  return best === null ? null : `Perhaps you meant the table '${schema}.${best}'`
}
