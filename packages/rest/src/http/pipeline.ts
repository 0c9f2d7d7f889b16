import { assertAccess, type Principal, type Transaction } from '@groundwork/core'
import { assertJsonDepth, decodeSegment } from '@groundwork/core/kit'
import type { ResponseRow } from '../compiler/response'
import type { Executor, RestContext, RestMethod, RestResult } from '../context'
import { pgrstError, RestError } from '../errors'
import { pipelinedRead } from '../execution/pipelined-read'
import { applyRequestSetup, requestSetup } from '../execution/request-setup'
import type { StatementNames } from '../execution/statement-names'
import type { OpenApiVisibility } from '../openapi/document'
import { visibleTo } from '../openapi/visibility'
import type { ResolvedRestOptions } from '../options'
import type { ParsedQuery } from '../parser/ast'
import { assertEmbedLimits } from '../parser/embed-limits'
import { parseQuery } from '../parser/query'
import { finishRead, isSingleStatement, prepareRead, readStatement } from '../read/execute-read'
import { prepareRpc } from '../rpc/index'
import type { FunctionInfo, Relation, SchemaCache } from '../schema-cache/types'
import { qualifiedKey } from '../schema-cache/types'
import { prepareWrite } from '../write/index'
import { pipelinedWrite } from '../write/pipelined'
import { negotiate } from './media'
import { parsePrefer } from './prefer'
import { requestRange } from './range'

/** A request in transport-neutral form (the handler and `api.query` both build one). */
export interface RestRequest {
  method: string
  /** Mount-relative URL (path and query). */
  url: URL
  headers: Headers
  body: string
  /** Aborts when the client goes away: the running statement is then cancelled. */
  signal?: AbortSignal | undefined
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
      const args = requestedArguments(request, readLike)
      throw new RestError(
        'PGRST202',
        `Could not find the function ${schema}.${name}${args.length > 0 ? `(${args.join(', ')})` : ' without parameters'} in the schema cache`,
        {
          hint: 'If a new function was created in the database with this name and parameters, try reloading the schema cache.',
        },
      )
    }
    rpc = { name, overloads }
    if (method === 'OPTIONS') {
      const allow = overloads.every((f) => f.volatility !== 'volatile')
        ? 'OPTIONS,GET,HEAD,POST'
        : 'OPTIONS,POST'
      return { status: 200, headers: { Allow: allow }, body: null }
    }
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
      throw pgrstError('PGRST101', 'Only GET or POST requests are allowed for functions')
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

  const argNames = rpc && readLike ? rpcArgumentNames(rpc.overloads) : null
  const query: ParsedQuery = parseQuery(
    request.url.searchParams,
    argNames ? (key) => argNames.has(key) : undefined,
  )
  assertEmbedLimits(query.select, options)
  const prefer = parsePrefer(request.headers.get('prefer'))
  if (prefer.handling === 'strict' && prefer.invalid.length > 0) {
    throw pgrstError(
      'PGRST122',
      'Invalid preferences given with handling=strict',
      `Invalid preferences: ${prefer.invalid.join(', ')}`,
    )
  }
  const scalarRpc = rpc?.overloads.every((f) => f.returnShape === 'scalar' || f.returnShape === 'void')
  const media = negotiate(request.headers.get('accept'), {
    csv: !scalarRpc,
    scalarText: rpc !== null,
    plan: options.planEnabled,
  })
  const rootLimit = query.limits.find((l) => l.path.length === 0)
  const range = requestRange(
    request.headers.get('range'),
    rootLimit?.limit ?? null,
    rootLimit?.offset ?? null,
    method,
  )
  const contentType =
    (request.headers.get('content-type') ?? 'application/json').split(';')[0]?.trim().toLowerCase() ||
    'application/json'
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
  }
  const context = { method, path, headers: request.headers }
  const setup = transaction ? [] : requestSetup(options.db, options, principal, context, schema)

  let result: RestResult | null = null
  // Hot path: a read that is one statement runs pipelined (one round trip instead of four).
  if (!transaction && relation && readLike && !prefer.timezone && media.kind !== 'plan') {
    const read = prepareRead(base)
    if (isSingleStatement(base, read)) {
      const { rows } = await pipelinedRead<ResponseRow>(
        options.db,
        setup,
        readStatement(base, read),
        rollback,
      )
      const row = rows[0] as ResponseRow
      result = finishRead(base, read, row, row.total === null ? null : Number(row.total))
    }
  }

  // Writes: BEGIN, claims and the statement pipelined, then COMMIT once the result passed its
  // checks (two round trips instead of four). See write/pipelined.ts.
  if (result === null && !transaction && relation && !readLike && !prefer.timezone) {
    result = await pipelinedWrite(options.db, setup, prepareWrite(base), { rollback, signal: request.signal })
  }
  // RPC: the call is one statement too (READ ONLY for GET/HEAD and non-volatile functions).
  if (result === null && !transaction && rpc && !prefer.timezone) {
    result = await pipelinedWrite(options.db, setup, prepareRpc(base), {
      rollback,
      readOnly,
      signal: request.signal,
    })
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
      if (rollback) throw new Rollback(executed)
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
 * @see https://docs.postgrest.org/en/v12/references/api/schemas.html
 */
function pickSchema(
  schemas: readonly string[],
  headers: Headers,
  readLike: boolean,
): { schema: string; explicit: boolean } {
  const requested = headers.get(readLike ? 'accept-profile' : 'content-profile')
  if (requested === null) return { schema: schemas[0] as string, explicit: false }
  if (!schemas.includes(requested)) {
    throw pgrstError('PGRST106', `The schema must be one of the following: ${schemas.join(', ')}`)
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
        [...request.url.searchParams.keys()].filter((k) => !RESERVED_PARAMETERS.has(k) && !k.includes('.')),
      ),
    ]
  }
  try {
    const body: unknown = JSON.parse(request.body)
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.keys(body) : []
  } catch {
    return []
  }
}

function rpcArgumentNames(overloads: FunctionInfo[]): Set<string> {
  const names = new Set<string>()
  for (const fn of overloads) for (const arg of fn.args) if (arg.name) names.add(arg.name)
  return names
}

function suggestTable(cache: SchemaCache, schema: string, name: string): string | null {
  let best: string | null = null
  let bestScore = Number.POSITIVE_INFINITY
  for (const relation of cache.relations.values()) {
    if (relation.schema !== schema) continue
    const score = distance(relation.name, name)
    if (score < bestScore) {
      bestScore = score
      best = relation.name
    }
  }
  return best !== null && bestScore <= Math.max(2, name.length / 3)
    ? `Perhaps you meant the table '${schema}.${best}'`
    : null
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 10) return 99
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
      prev = tmp
    }
  }
  return row[b.length] as number
}
