/**
 * Chooses which overload of `/rpc/<fn>` a request calls, exactly as PostgREST 14 does (its
 * `findProc`): an overload matches when the argument names given are its required parameters plus
 * any of its optional ones (a function without parameters matches no arguments); a function whose
 * single parameter is unnamed and of the body's type (`json`/`jsonb` for JSON, `text` for
 * `text/plain`, `xml`, `bytea` for `application/octet-stream`) is the fallback when no overload
 * matches by name. One match is called; none is 404 PGRST202; several are 300 PGRST203, listing
 * the candidates in catalog order.
 *
 * @see https://docs.postgrest.org/en/v14/references/api/functions.html#overloaded-functions
 * @see https://docs.postgrest.org/en/v14/references/api/functions.html#functions-with-a-single-unnamed-parameter
 */
import { RestError } from '../errors'
import { DEFAULT_MIN_SCORE, fuzzyBest, NAME_MIN_SCORE } from '../schema-cache/fuzzy'
import type { FunctionArgument, FunctionInfo } from '../schema-cache/types'

/** How the chosen function receives its arguments. */
export type CallStyle =
  /** Named arguments: the parameters given (PostgREST's `KeyParams`). */
  | { kind: 'named'; args: FunctionArgument[] }
  /** The whole body as the one parameter (PostgREST's `OnePosParam`). */
  | { kind: 'single'; arg: FunctionArgument }

/** The chosen overload. */
export interface ResolvedCall {
  fn: FunctionInfo
  style: CallStyle
}

/** What a request body is, for matching (PostgREST's content media types of a call). */
export type BodyKind = 'json' | 'form' | 'text' | 'xml' | 'octet'

/** The request as overload resolution sees it. */
export interface CallRequest {
  /** Argument names: the body's keys (or `columns=`) for POST, the argument parameters for GET. */
  keys: readonly string[]
  /** POST (a body) rather than GET/HEAD (query-string arguments). */
  post: boolean
  /** The body's media type; `json` for GET. */
  body: BodyKind
  /** Legacy `Prefer: params=single-object`: the body goes whole to a single json/jsonb parameter. */
  singleObject: boolean
}

/** Unnamed single-parameter types a raw body of each kind can reach. */
const SINGLE_TYPES: Record<BodyKind, readonly string[]> = {
  json: ['json', 'jsonb'],
  form: [],
  text: ['text'],
  xml: ['xml'],
  octet: ['bytea'],
}

/**
 * Picks the overload for `request`. Throws PGRST202 (404) when nothing matches and PGRST203 (300)
 * when several do. `schemaFunctions` (every callable function name of the schema) feeds the hint.
 */
export function resolveCall(
  overloads: readonly FunctionInfo[],
  request: CallRequest,
  schemaFunctions: Iterable<string> = [],
): ResolvedCall {
  // Deprecated in PostgREST but still honoured by it: the body to a function's only json parameter.
  if (request.singleObject && request.post) {
    const single = overloads.filter(
      (fn) => fn.args.length === 1 && ['json', 'jsonb'].includes(fn.args[0]?.udtName ?? ''),
    )
    if (single.length === 1) {
      const fn = single[0] as FunctionInfo
      return { fn, style: { kind: 'single', arg: fn.args[0] as FunctionArgument } }
    }
  }
  const keys = new Set(request.keys)
  const raw = request.post && request.body !== 'json' && request.body !== 'form'
  const matching: FunctionInfo[] = []
  const fallback: FunctionInfo[] = []
  for (const fn of overloads) {
    if (matchesParams(fn, keys, raw)) matching.push(fn)
    else if (hasSingleUnnamedParam(fn, request)) fallback.push(fn)
  }
  const candidates = matching.length > 0 ? matching : fallback
  if (candidates.length === 1) {
    const fn = candidates[0] as FunctionInfo
    return { fn, style: callStyle(fn, keys, request.singleObject) }
  }
  if (candidates.length > 1) throw ambiguousCall(candidates)
  const first = overloads[0]
  throw functionNotFound({
    schema: first?.schema ?? '',
    name: first?.name ?? '',
    keys: request.keys,
    post: request.post,
    body: request.body,
    overloads,
    schemaFunctions,
  })
}

/**
 * PostgREST's `matchesParams`: required parameters (no default) must all be given, optional ones
 * may be, nothing else may be; a function without parameters takes no arguments (nor a raw body).
 */
function matchesParams(fn: FunctionInfo, keys: ReadonlySet<string>, raw: boolean): boolean {
  if (fn.args.length === 0) return keys.size === 0 && !raw
  const required = new Set(fn.args.filter((a) => !a.hasDefault).map((a) => a.name))
  const optional = new Set(fn.args.filter((a) => a.hasDefault).map((a) => a.name))
  for (const key of keys) if (!required.has(key) && !optional.has(key)) return false
  for (const name of required) if (!keys.has(name)) return false
  return true
}

function hasSingleUnnamedParam(fn: FunctionInfo, request: CallRequest): boolean {
  const arg = fn.args[0]
  return (
    request.post &&
    fn.args.length === 1 &&
    arg !== undefined &&
    arg.name === '' &&
    SINGLE_TYPES[request.body].includes(arg.udtName)
  )
}

/** PostgREST's `callPlan`: a single unnamed parameter takes the body; otherwise the names given. */
function callStyle(fn: FunctionInfo, keys: ReadonlySet<string>, singleObject: boolean): CallStyle {
  const only = fn.args[0]
  if (fn.args.length === 1 && only && (singleObject || only.name === '')) return { kind: 'single', arg: only }
  return { kind: 'named', args: fn.args.filter((a) => keys.has(a.name)) }
}

/** `schema.fn(a => integer, b => text)`, PostgREST's rendering of a candidate. */
function signature(fn: FunctionInfo): string {
  return `${fn.schema}.${fn.name}(${fn.args.map((a) => `${a.name} => ${displayType(a.type)}`).join(', ')})`
}

/**
 * A type as PostgREST prints it (`regtype::text` under the default `search_path`): types of
 * `public` unqualified. The cache holds them qualified (they are spliced into SQL).
 */
function displayType(type: string): string {
  return type.startsWith('public.') ? type.slice('public.'.length) : type
}

/** 300 PGRST203 with PostgREST's wording. */
export function ambiguousCall(candidates: readonly FunctionInfo[]): RestError {
  return new RestError(
    'PGRST203',
    `Could not choose the best candidate function between: ${candidates.map(signature).join(', ')}`,
    {
      hint: 'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
    },
  )
}

/** What {@link functionNotFound} words its answer from. */
export interface NotFoundCall {
  schema: string
  name: string
  keys: readonly string[]
  post: boolean
  body: BodyKind
  /** The function's overloads (empty when no function has the name). */
  overloads: readonly FunctionInfo[]
  /** Callable function names of the schema, for the did-you-mean hint. */
  schemaFunctions: Iterable<string>
}

/**
 * 404 PGRST202 exactly as PostgREST 14 words it: the argument names sorted, "without parameters"
 * when there are none, what was searched for by body type, and a fuzzy hint — a close function
 * name when none has this name, else the closest parameter list — or `null`.
 */
export function functionNotFound(call: NotFoundCall): RestError {
  const fn = `${call.schema}.${call.name}`
  const keys = [...new Set(call.keys)].sort()
  const rawBody = call.post && (call.body === 'text' || call.body === 'xml' || call.body === 'octet')
  const listed = keys.length === 0 ? ' without parameters' : `(${keys.join(', ')})`
  const withParams =
    keys.length === 0
      ? ' without parameters'
      : ` with parameter${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`
  let searched: string
  if (call.post && call.body === 'text') searched = ' with a single unnamed text parameter'
  else if (call.post && call.body === 'xml') searched = ' with a single unnamed xml parameter'
  else if (call.post && call.body === 'octet') searched = ' with a single unnamed bytea parameter'
  else if (call.post && call.body === 'json')
    searched = `${withParams} or with a single unnamed json/jsonb parameter`
  else searched = withParams
  let hint: string | null = null
  if (!rawBody) {
    const suggestion =
      call.overloads.length === 0
        ? fuzzyBest(call.schemaFunctions, call.name, NAME_MIN_SCORE)
        : (() => {
            const lists = call.overloads.map((o) => parameterList(o.args.map((a) => a.name)))
            const best = fuzzyBest(lists, parameterList(keys), DEFAULT_MIN_SCORE)
            return best === null ? null : `${call.name}${best}`
          })()
    if (suggestion !== null) hint = `Perhaps you meant to call the function ${call.schema}.${suggestion}`
  }
  return new RestError(
    'PGRST202',
    `Could not find the function ${fn}${rawBody ? '' : listed} in the schema cache`,
    {
      details: `Searched for the function ${fn}${searched}, but no matches were found in the schema cache.`,
      hint,
    },
  )
}

/** `(a, b)` with the names sorted, PostgREST's form for comparing parameter lists. */
function parameterList(names: readonly string[]): string {
  return `(${[...names].sort().join(', ')})`
}
