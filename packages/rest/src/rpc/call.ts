/**
 * The SQL that calls a function for `/rpc/<fn>`, as a row source the read compilers can filter,
 * order, embed and paginate. Arguments travel as ONE JSON parameter and are typed by
 * `json_to_record` with the function's own parameter types; they are passed with named notation
 * (`fn(a => …)`), so omitted parameters take their defaults and overloads resolve as in SQL.
 *
 * @see https://docs.postgrest.org/en/v12/references/api/functions.html
 */
import { ident, qualified, type SqlParams } from '../compiler/sql'
import type { FunctionArgument, FunctionInfo } from '../schema-cache/types'
import type { CallStyle } from './resolve'

const JSON_TYPES = new Set(['json', 'jsonb'])

/** The column name a scalar-returning function's value is exposed under. */
export const SCALAR_COLUMN = 'pgrst_scalar'

/**
 * A `FROM` item yielding the function's rows: for composite/record/table returns, the function's
 * columns; for scalar returns, one column {@link SCALAR_COLUMN}; for void, no usable column.
 */
export function callSource(
  params: SqlParams,
  fn: FunctionInfo,
  style: CallStyle,
  args: Record<string, unknown> | unknown,
  alias: string,
): string {
  const callee = qualified(fn.schema, fn.name)
  const columnAlias =
    fn.returnShape === 'scalar' || fn.returnShape === 'void' ? `(${ident(SCALAR_COLUMN)})` : ''
  if (style.kind === 'single') {
    // json/jsonb get the body as JSON text; text/xml (raw bodies) get the string as is.
    const value = typeof args === 'string' && !JSON_TYPES.has(style.arg.udtName) ? args : JSON.stringify(args)
    const placeholder = params.add(value, style.arg.udtName)
    return `${callee}(${placeholder}) AS ${ident(alias)}${columnAlias}`
  }
  const given = style.args.filter((a) => a.name !== '' && Object.hasOwn(args as object, a.name))
  if (given.length === 0) return `${callee}() AS ${ident(alias)}${columnAlias}`
  const record = params.add(JSON.stringify(pick(args as Record<string, unknown>, given)))
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
