/**
 * The data-modifying statement of a write, as the body of the `pgrst_source` CTE the response is
 * built from. Values always travel as one JSON parameter per statement (or per row with
 * `missing=default`) and are typed by `json_to_recordset` with the columns' own types, so no
 * value is ever spliced into SQL and Postgres does every conversion.
 *
 * @see https://docs.postgrest.org/en/v14/references/api/tables_views.html#insert
 */

import { UPDATED_SETTING } from '../compiler/response'
import { ident, qualified, type SqlParams } from '../compiler/sql'
import { pgrstError } from '../errors'
import type { RestColumnType } from '../extensions/types'
import type { Column, Relation } from '../schema-cache/types'
import type { Payload } from './payload'

/** Increments {@link UPDATED_SETTING}; always true, so it can sit in `DO UPDATE … WHERE`. */
const COUNT_UPDATED = `set_config('${UPDATED_SETTING}', (coalesce(nullif(current_setting('${UPDATED_SETTING}', true), '')::int, 0) + 1)::text, true) IS NOT NULL`

/** What the statement returns: whole rows (for a representation) or only a count. */
export type Returning = 'rows' | 'count'

/** Looks up the payload's columns on the relation (PGRST204 for an unknown one). */
export function resolveColumns(relation: Relation, names: string[]): Column[] {
  return names.map((name) => {
    const column = relation.columnMap.get(name)
    if (!column) {
      throw pgrstError(
        'PGRST204',
        `Could not find the '${name}' column of '${relation.name}' in the schema cache`,
      )
    }
    return column
  })
}

function returningClause(relation: Relation, returning: Returning): string {
  // `RETURNING 1` needs no SELECT privilege (nor SELECT policies): return=minimal must work for
  // callers that may insert but not read, as in PostgREST.
  return returning === 'rows' ? `RETURNING ${qualified(relation.schema, relation.name)}.*` : 'RETURNING 1'
}

/** Column types whose write input an extension converts (by `pg_type.typname`). */
export type ColumnInputs = ReadonlyMap<string, RestColumnType>

function converter(column: Column, inputs: ColumnInputs | undefined): RestColumnType['input'] {
  return inputs?.get(column.udtName)?.input
}

/**
 * `json_to_recordset(...) AS pgrst_body("a" int, …)` column definitions; a column whose type an
 * extension reads (GeoJSON into `geometry`) arrives as `json` and is converted by {@link cell}.
 */
function recordDefinition(columns: Column[], inputs?: ColumnInputs): string {
  return columns.map((c) => `${ident(c.name)} ${converter(c, inputs) ? 'json' : c.type}`).join(', ')
}

/** `pgrst_body.col`, converted by an extension's column type when it has one. */
function cell(column: Column, inputs: ColumnInputs | undefined, alias = 'pgrst_body'): string {
  const sql = `${alias}.${ident(column.name)}`
  const convert = converter(column, inputs)
  return convert ? convert(sql, column) : sql
}

/** Options of {@link insertStatement}. */
export interface InsertOptions {
  relation: Relation
  payload: Payload
  columns: Column[]
  /** `Prefer: missing=default`: absent keys take the column default instead of null. */
  missingDefault: boolean
  /** `Prefer: resolution=…` with its conflict target (`on_conflict=` or the primary key). */
  onConflict: { action: 'merge' | 'ignore'; target: string[] } | null
  returning: Returning
  /** Extensions' column types converting write input. */
  inputs?: ColumnInputs
}

/**
 * `INSERT INTO … SELECT … FROM json_to_recordset($n)`, or with `missing=default` a `VALUES` list
 * whose absent cells are the `DEFAULT` keyword (the only place SQL accepts it).
 */
export function insertStatement(params: SqlParams, options: InsertOptions): string {
  const { relation, payload, columns } = options
  const target = qualified(relation.schema, relation.name)
  const names = columns.map((c) => ident(c.name)).join(', ')
  let source: string
  if (columns.length === 0) {
    // `{}` or `[{}, {}]`: one row of defaults per object.
    source = `SELECT FROM json_array_elements(${params.add(JSON.stringify(payload.rows))}::json)`
  } else if (options.missingDefault && !payload.rows.every((row) => columns.every((c) => c.name in row))) {
    const definition = recordDefinition(columns, options.inputs)
    const rows = payload.rows.map((row) => {
      // The row's parameter only when a cell reads it: a parameter no placeholder uses fails at
      // Bind ("bind message supplies 1 parameters, but prepared statement requires 0").
      let placeholder: string | undefined
      const cells = columns.map((c) => {
        if (!(c.name in row)) return 'DEFAULT'
        placeholder ??= params.add(JSON.stringify(row))
        return `(SELECT ${cell(c, options.inputs, 'pgrst_row')} FROM json_to_record(${placeholder}::json) AS pgrst_row(${definition}))`
      })
      return `(${cells.join(', ')})`
    })
    source = `VALUES ${rows.join(', ')}`
  } else {
    const body = params.add(JSON.stringify(payload.rows))
    source =
      `SELECT ${columns.map((c) => cell(c, options.inputs)).join(', ')} ` +
      `FROM json_to_recordset(${body}::json) AS pgrst_body(${recordDefinition(columns, options.inputs)})`
  }
  const into = columns.length === 0 ? target : `${target} (${names})`
  let conflict = ''
  if (options.onConflict && options.onConflict.target.length > 0) {
    const conflictTarget = options.onConflict.target.map(ident).join(', ')
    if (options.onConflict.action === 'ignore' || columns.length === 0) {
      conflict = ` ON CONFLICT (${conflictTarget}) DO NOTHING`
    } else {
      const keys = new Set(options.onConflict.target)
      const updated = columns.filter((c) => !keys.has(c.name))
      const set = (updated.length > 0 ? updated : columns)
        .map((c) => `${ident(c.name)} = EXCLUDED.${ident(c.name)}`)
        .join(', ')
      // Counts the rows that conflicted (and were updated), so the answer can say whether any
      // row was inserted (201) or all existed (200), as PostgREST's `pgrst.inserted` counter does.
      conflict = ` ON CONFLICT (${conflictTarget}) DO UPDATE SET ${set} WHERE ${COUNT_UPDATED}`
    }
  }
  return `INSERT INTO ${into} ${source}${conflict} ${returningClause(relation, options.returning)}`
}

/** Options of {@link updateStatement}. */
export interface UpdateOptions {
  relation: Relation
  /** The one object of the body (PATCH applies the same values to every matched row). */
  row: Record<string, unknown>
  columns: Column[]
  /** The compiled filter over the relation (referenced by its qualified name), or `''`. */
  where: string
  returning: Returning
  /** Extensions' column types converting write input. */
  inputs?: ColumnInputs
}

/** `UPDATE … SET col = pgrst_body.col FROM json_to_record($n) … WHERE …`. */
export function updateStatement(params: SqlParams, options: UpdateOptions): string {
  const { relation, columns } = options
  const target = qualified(relation.schema, relation.name)
  const body = params.add(JSON.stringify(options.row))
  const set = columns.map((c) => `${ident(c.name)} = ${cell(c, options.inputs)}`).join(', ')
  return (
    `UPDATE ${target} SET ${set} FROM (SELECT * FROM json_to_record(${body}::json) AS pgrst_body(${recordDefinition(columns, options.inputs)})) pgrst_body` +
    `${options.where ? ` WHERE ${options.where}` : ''} ${returningClause(relation, options.returning)}`
  )
}

/** `DELETE FROM … WHERE …`. */
export function deleteStatement(options: {
  relation: Relation
  where: string
  returning: Returning
}): string {
  const target = qualified(options.relation.schema, options.relation.name)
  return `DELETE FROM ${target}${options.where ? ` WHERE ${options.where}` : ''} ${returningClause(options.relation, options.returning)}`
}
