import { quoteLiteral } from '@groundwork/core'
import { parseError, RestError } from '../errors'
import type { Field } from '../parser/ast'
import type { Relation, SchemaCache } from '../schema-cache/types'
import { qualifiedKey } from '../schema-cache/types'
import { ident, qualified, safeTypeName } from './sql'

/** SQL for a column (or computed field) of the relation aliased `alias`, with its JSON path. */
export function fieldSql(cache: SchemaCache, relation: Relation, alias: string, field: Field): string {
  let sql: string
  const column = relation.columnMap.get(field.name)
  if (column) {
    sql = `${ident(alias)}.${ident(field.name)}`
    // Arrows on arrays and composite types work through their JSON form, as in PostgREST.
    if (field.jsonPath.length > 0 && column.udtName !== 'json' && column.udtName !== 'jsonb') {
      sql = `to_jsonb(${sql})`
    }
  } else {
    const computed = cache.computedFields.get(qualifiedKey(relation.schema, relation.name))?.get(field.name)
    if (!computed) throw undefinedColumn(relation, field.name)
    sql = `${qualified(computed.function.schema, computed.function.name)}(${ident(alias)})`
  }
  for (const step of field.jsonPath) {
    const key = /^-?\d{1,9}$/.test(step.key) ? step.key : quoteLiteral(step.key)
    sql = `${sql}${step.arrow}${key}`
  }
  return sql
}

/** True when the field names a `tsvector` column (full-text search needs no `to_tsvector`). */
export function isTsvector(relation: Relation, field: Field): boolean {
  return field.jsonPath.length === 0 && relation.columnMap.get(field.name)?.udtName === 'tsvector'
}

/** The key a selected field gets in the JSON: its alias, the last JSON key, or the column name. */
export function fieldKey(field: Field, alias: string | null): string {
  if (alias) return alias
  const last = field.jsonPath.at(-1)
  return last ? last.key : field.name
}

/** `CAST(sql AS type)` with a validated type name. */
export function castSql(sql: string, type: string | null): string {
  if (type === null) return sql
  const safe = safeTypeName(type)
  if (!safe) throw parseError(`cast (${type})`, 'invalid type name')
  return `CAST(${sql} AS ${safe})`
}

/** Postgres' own wording for an unknown column, code 42703 (answered 400 as PostgREST does). */
export function undefinedColumn(relation: Relation, name: string): RestError {
  return new RestError('42703', `column ${relation.name}.${name} does not exist`, { status: 400 })
}
