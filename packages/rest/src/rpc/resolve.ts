/**
 * Chooses which overload of `/rpc/<fn>` a request calls, from the argument names it supplies,
 * the way PostgREST does: a function matches when every supplied name is one of its parameters
 * and every parameter without a default is supplied. A function with a single unnamed
 * `json`/`jsonb` parameter (or any single json/jsonb parameter with `Prefer: params=single-object`)
 * receives the whole body instead.
 *
 * @see https://docs.postgrest.org/en/v12/references/api/functions.html#overloaded-functions
 * @see https://docs.postgrest.org/en/v12/references/api/functions.html#function-with-single-json-parameter
 */
import { RestError } from '../errors'
import type { FunctionArgument, FunctionInfo } from '../schema-cache/types'

/** How the chosen function receives its arguments. */
export type CallStyle =
  /** Named arguments, matched by name. */
  | { kind: 'named'; args: FunctionArgument[] }
  /** The whole body as the single (json/jsonb) argument. */
  | { kind: 'single'; arg: FunctionArgument }

/** The chosen overload. */
export interface ResolvedCall {
  fn: FunctionInfo
  style: CallStyle
}

const JSON_TYPES = new Set(['json', 'jsonb'])

/**
 * Picks the overload for `names` (the body's keys for POST, the non-filter query parameters for
 * GET). `bodyIsObject` is false when a POST body is not a JSON object (an array or a scalar),
 * which only a single-json-parameter function can take. Throws PGRST202 (404) when nothing
 * matches and PGRST203 (300) when several do.
 */
export function resolveCall(
  overloads: FunctionInfo[],
  names: string[],
  options: { bodyIsObject: boolean; singleObject: boolean; post: boolean },
): ResolvedCall {
  const given = new Set(names)
  const singleParam = (fn: FunctionInfo): FunctionArgument | null => {
    if (fn.args.length !== 1) return null
    const arg = fn.args[0] as FunctionArgument
    if (!JSON_TYPES.has(arg.udtName)) return null
    if (arg.name === '' || options.singleObject) return arg
    return null
  }

  // A body that is not an object can only go to a single json/jsonb parameter.
  const single = options.post ? overloads.filter((fn) => singleParam(fn) !== null) : []
  if (options.post && (options.singleObject || !options.bodyIsObject)) {
    if (single.length === 1)
      return { fn: single[0] as FunctionInfo, style: single1(single[0] as FunctionInfo) }
  }

  const named = overloads.filter((fn) => {
    if (fn.args.some((a) => a.name === '') && fn.args.length > 0) return false
    const params = new Set(fn.args.map((a) => a.name))
    for (const name of given) if (!params.has(name)) return false
    return fn.args.every((a) => a.hasDefault || given.has(a.name) || a.mode === 'variadic')
  })
  if (options.bodyIsObject || !options.post) {
    if (named.length === 1) {
      const fn = named[0] as FunctionInfo
      return { fn, style: { kind: 'named', args: fn.args } }
    }
    if (named.length > 1) {
      // Prefer the overload that uses exactly the supplied names (fewest defaults filled in).
      const exact = named.filter((fn) => fn.args.length === given.size)
      if (exact.length === 1) {
        const fn = exact[0] as FunctionInfo
        return { fn, style: { kind: 'named', args: fn.args } }
      }
      throw ambiguous(named)
    }
  }
  if (options.post && single.length === 1) {
    const fn = single[0] as FunctionInfo
    return { fn, style: single1(fn) }
  }
  if (options.post && single.length > 1) throw ambiguous(single)
  throw notFound(overloads, names)
}

function single1(fn: FunctionInfo): CallStyle {
  return { kind: 'single', arg: fn.args[0] as FunctionArgument }
}

function signature(fn: FunctionInfo): string {
  return `${fn.schema}.${fn.name}(${fn.args.map((a) => (a.name ? `${a.name} => ${a.type}` : a.type)).join(', ')})`
}

function ambiguous(candidates: FunctionInfo[]): RestError {
  return new RestError(
    'PGRST203',
    `Could not choose the best candidate function between: ${candidates.map(signature).join(', ')}`,
    {
      hint: 'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
    },
  )
}

/** PGRST202 with PostgREST's wording, hinting at the closest existing signature. */
export function notFound(
  overloads: FunctionInfo[],
  names: string[],
  schema?: string,
  name?: string,
): RestError {
  const first = overloads[0]
  const fnSchema = schema ?? first?.schema ?? 'public'
  const fnName = name ?? first?.name ?? ''
  const sorted = [...names].sort()
  const listed = sorted.length > 0 ? `(${sorted.join(', ')})` : '' // PostgREST prints the names sorted
  const hint =
    overloads.length > 0
      ? `Perhaps you meant to call the function ${signatureHint(overloads[0] as FunctionInfo)}`
      : null
  return new RestError(
    'PGRST202',
    `Could not find the function ${fnSchema}.${fnName}${listed} in the schema cache`,
    {
      details: `Searched for the function ${fnSchema}.${fnName}${
        sorted.length > 0 ? ` with parameters ${sorted.join(', ')}` : ' without parameters'
      } or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
      hint,
    },
  )
}

function signatureHint(fn: FunctionInfo): string {
  const names = fn.args.map((a) => a.name).filter((n) => n !== '')
  return `${fn.schema}.${fn.name}${names.length > 0 ? `(${names.join(', ')})` : ''}`
}
