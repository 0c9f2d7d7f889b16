import { pgrstError } from '../errors'
import type { ExtensionRegistry } from '../extensions/registry'
import type { Filter, LogicTree, Operation } from '../parser/ast'
import type { Relation, SchemaCache } from '../schema-cache/types'
import { fieldSql, isTsvector } from './expressions'
import type { SqlParams } from './sql'

const OPERATORS: Record<string, string> = {
  eq: '=',
  neq: '<>',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
  like: 'LIKE',
  ilike: 'ILIKE',
  match: '~',
  imatch: '~*',
  isdistinct: 'IS DISTINCT FROM',
  cs: '@>',
  cd: '<@',
  ov: '&&',
  sl: '<<',
  sr: '>>',
  nxr: '&<',
  nxl: '&>',
  adj: '-|-',
}

const FTS_FUNCTIONS: Record<string, string> = {
  fts: 'to_tsquery',
  plfts: 'plainto_tsquery',
  phfts: 'phraseto_tsquery',
  wfts: 'websearch_to_tsquery',
}

/** Where a filter's columns live. */
export interface FilterScope {
  cache: SchemaCache
  relation: Relation
  alias: string
  /**
   * Embeds of this level by key and name → the SQL that is NULL when the embed is empty, for
   * `rel=is.null`-style filters inside `or`/`and` trees (`or=(code.eq.x,types.not.is.null)`).
   */
  embeds?: ReadonlyMap<string, string>
  /** Told when a condition refers to an embed (its lateral join must then be in any count query). */
  onEmbed?: () => void
  /** Operators contributed by extensions (needed for `kind: 'extension'` operations). */
  extensions?: ExtensionRegistry
}

/**
 * A filter as SQL; values always become parameters (untyped, so Postgres infers them from the
 * column, as PostgREST's unknown-typed literals are).
 *
 * @see https://docs.postgrest.org/en/v14/references/api/tables_views.html#operators
 */
export function filterSql(scope: FilterScope, filter: Filter, params: SqlParams): string {
  const embed =
    filter.field.jsonPath.length === 0 && !scope.relation.columnMap.has(filter.field.name)
      ? scope.embeds?.get(filter.field.name)
      : undefined
  if (embed !== undefined) {
    const op = filter.operation
    if (op.kind !== 'is' || (op.value !== 'null' && op.value !== 'not_null')) {
      throw pgrstError(
        'PGRST120',
        `Bad operator on the '${filter.field.name}' embedded resource`,
        'Only is null or not is null filters are allowed on embedded resources',
      )
    }
    scope.onEmbed?.()
    const sql = `${embed} IS ${op.value === 'null' ? '' : 'NOT '}NULL`
    return filter.negated ? `NOT (${sql})` : sql
  }
  const column = fieldSql(scope.cache, scope.relation, scope.alias, filter.field)
  const sql = operationSql(scope, filter, column, filter.operation, params)
  return filter.negated ? `NOT (${sql})` : sql
}

function operationSql(
  scope: FilterScope,
  filter: Filter,
  column: string,
  op: Operation,
  params: SqlParams,
): string {
  switch (op.kind) {
    case 'simple': {
      const value = op.op === 'like' || op.op === 'ilike' ? op.value.replaceAll('*', '%') : op.value
      return `${column} ${OPERATORS[op.op]} ${params.add(value)}`
    }
    case 'quantified': {
      const value = op.op === 'like' || op.op === 'ilike' ? op.value.replaceAll('*', '%') : op.value
      return `${column} ${OPERATORS[op.op]} ${op.quantifier.toUpperCase()}(${params.add(value)})`
    }
    case 'in':
      return `${column} = ANY(${params.add(op.values)})`
    case 'is':
      switch (op.value) {
        case 'null':
          return `${column} IS NULL`
        case 'not_null':
          return `${column} IS NOT NULL`
        case 'true':
          return `${column} IS TRUE`
        case 'false':
          return `${column} IS FALSE`
        default:
          return `${column} IS UNKNOWN`
      }
    case 'extension': {
      const extension = scope.extensions?.operators.get(op.op)
      if (!extension)
        throw pgrstError('PGRST100', `"failed to parse filter (${op.op})"`, `unknown operator "${op.op}"`)
      const info =
        filter.field.jsonPath.length === 0 ? (scope.relation.columnMap.get(filter.field.name) ?? null) : null
      return extension.sql({ column, info, argument: op.argument, params })
    }
    case 'fts': {
      const config = op.config === null ? '' : `${params.add(op.config)}::regconfig, `
      const vector = isTsvector(scope.relation, filter.field) ? column : `to_tsvector(${config}${column})`
      return `${vector} @@ ${FTS_FUNCTIONS[op.op]}(${config}${params.add(op.value)})`
    }
  }
}

/** An `or`/`and` tree as SQL. */
export function logicSql(scope: FilterScope, tree: LogicTree, params: SqlParams): string {
  const parts = tree.children.map((child) =>
    child.kind === 'logic' ? logicSql(scope, child, params) : filterSql(scope, child.filter, params),
  )
  const joined = `(${parts.join(tree.op === 'or' ? ' OR ' : ' AND ')})`
  return tree.negated ? `NOT ${joined}` : joined
}
