/**
 * PUT is a single-row upsert addressed by the URL: the filters must be `eq` on exactly the
 * primary key columns (PGRST105), no `limit`/`offset` (PGRST114), one row in the body whose key
 * values equal the URL's (PGRST115).
 *
 * @see https://docs.postgrest.org/en/v14/references/api/tables_views.html#put
 */
import type { RestContext } from '../context'
import { pgrstError } from '../errors'
import type { Relation } from '../schema-cache/types'
import type { Payload } from './payload'

export function checkPut(ctx: Pick<RestContext, 'query'>, relation: Relation, payload: Payload): void {
  const pk = relation.primaryKey
  const root = ctx.query.filters.filter((f) => f.path.length === 0)
  const values = new Map<string, string>()
  const onlyPkEq =
    pk.length > 0 &&
    ctx.query.logic.length === 0 &&
    root.every(({ filter }) => {
      const op = filter.operation
      if (filter.negated || filter.field.jsonPath.length > 0 || op.kind !== 'simple' || op.op !== 'eq')
        return false
      if (!pk.includes(filter.field.name) || values.has(filter.field.name)) return false
      values.set(filter.field.name, op.value)
      return true
    }) &&
    values.size === pk.length
  if (!onlyPkEq) {
    throw pgrstError('PGRST105', "Filters must include all and only primary key columns with 'eq' operators")
  }
  if (ctx.query.limits.some((l) => l.path.length === 0 && (l.limit !== null || l.offset !== null))) {
    throw pgrstError('PGRST114', 'limit/offset querystring parameters are not allowed for PUT')
  }
  if (payload.rows.length !== 1) {
    throw pgrstError('PGRST102', 'Expected a single object in the body of a PUT request')
  }
  const row = payload.rows[0] as Record<string, unknown>
  for (const [column, value] of values) {
    const given = row[column]
    if (given === undefined || given === null || String(given) !== value) {
      throw pgrstError('PGRST115', 'Payload values do not match URL in primary key column(s)')
    }
  }
}
