/**
 * The SQL that calls a function for `/rpc/<fn>`, as a row source the read compilers can filter,
 * order, embed and paginate. Named arguments travel as ONE JSON parameter typed by
 * `json_to_record` with the function's own parameter types and are passed with named notation
 * (`fn(a => …)`), so omitted parameters take their defaults; a single unnamed parameter gets the
 * request body itself, cast to its type (PostgREST's `OnePosParam`).
 *
 * @see https://docs.postgrest.org/en/v14/references/api/functions.html
 */
import { ident, qualified, type SqlParams } from '../compiler/sql'
import type { FunctionArgument, FunctionInfo } from '../schema-cache/types'
import type { CallStyle } from './resolve'

/** The column name a scalar-returning function's value is exposed under. */
export const SCALAR_COLUMN = 'pgrst_scalar'

/** The arguments of a call: the body (or its JSON text) for a single parameter, else values by name. */
export type CallArguments =
  | { kind: 'single'; value: string }
  | { kind: 'named'; values: Record<string, unknown> }

/**
 * A `FROM` item yielding the function's rows: for composite/record/table returns, the function's
 * columns; for scalar returns, one column {@link SCALAR_COLUMN}; for void, no usable column.
 */
export function callSource(
  params: SqlParams,
  fn: FunctionInfo,
  style: CallStyle,
  args: CallArguments,
  alias: string,
): string {
  const callee = qualified(fn.schema, fn.name)
  const columnAlias =
    fn.returnShape === 'scalar' || fn.returnShape === 'void' ? `(${ident(SCALAR_COLUMN)})` : ''
  if (style.kind === 'single') {
    // The parameter's type comes from the catalog (json, jsonb, text, xml, bytea), not the request.
    const value = args.kind === 'single' ? args.value : JSON.stringify(args.values)
    return `${callee}(${params.add(value, style.arg.udtName)}) AS ${ident(alias)}${columnAlias}`
  }
  const values = args.kind === 'named' ? args.values : {}
  const given = style.args.filter((a) => a.name !== '' && Object.hasOwn(values, a.name))
  if (given.length === 0) return `${callee}() AS ${ident(alias)}${columnAlias}`
  const record = params.add(JSON.stringify(pick(values, given)))
  const definition = given.map((a) => `${ident(a.name)} ${a.type}`).join(', ')
  const call = given.map((a) => argument(a)).join(', ')
  return (
    `json_to_record(${record}::json) AS pgrst_args(${definition}) ` +
    `CROSS JOIN LATERAL ${callee}(${call}) AS ${ident(alias)}${columnAlias}`
  )
}

function argument(arg: FunctionArgument): string {
  const value = `pgrst_args.${ident(arg.name)}`
  return arg.mode === 'variadic'
    ? `VARIADIC ${ident(arg.name)} => ${value}`
    : `${ident(arg.name)} => ${value}`
}

function pick(args: Record<string, unknown>, given: FunctionArgument[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const a of given) out[a.name] = args[a.name]
  return out
}

/**
 * Arguments of a GET/HEAD call from the query string: repeated parameters become arrays for a
 * variadic (or array-typed) parameter, as PostgREST does (`?v=1&v=2`); other values are strings
 * that Postgres converts to the parameter type.
 */
export function queryArguments(fn: FunctionInfo, entries: Array<[string, string]>): Record<string, unknown> {
  const args: Record<string, unknown> = {}
  const byName = new Map(fn.args.map((a) => [a.name, a]))
  for (const [key, value] of entries) {
    const arg = byName.get(key)
    if (!arg) continue
    const repeatable = arg.mode === 'variadic' || arg.type.endsWith('[]')
    if (repeatable && !(arg.mode !== 'variadic' && value.startsWith('{'))) {
      const list = (args[key] as unknown[] | undefined) ?? []
      list.push(value)
      args[key] = list
    } else {
      args[key] = value
    }
  }
  return args
}
