import type { Transaction } from '@groundwork/core'
import type { OpenApiVisibility } from './document'

/**
 * The relations and functions of `schema` the current role may use (run inside the caller's
 * claims transaction, so `has_*_privilege` checks the caller's role): PostgREST's default
 * `openapi-mode = follow-privileges`, so the root document never lists a table an anonymous
 * caller cannot touch.
 *
 * @see https://docs.postgrest.org/en/v14/references/configuration.html#openapi-mode
 */
export async function visibleTo(tx: Transaction, schema: string): Promise<OpenApiVisibility> {
  const { rows } = await tx.query<{ kind: 'r' | 'f'; name: string }>(
    `select 'r' as kind, c.relname as name
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind in ('r', 'v', 'm', 'f', 'p')
        and (pg_catalog.has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE')
             or pg_catalog.has_table_privilege(c.oid, 'DELETE'))
     union all
     select distinct 'f', p.proname
       from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
      where n.nspname = $1 and pg_catalog.has_function_privilege(p.oid, 'EXECUTE')`,
    [schema],
  )
  const relations = new Set<string>()
  const functions = new Set<string>()
  for (const row of rows) (row.kind === 'r' ? relations : functions).add(row.name)
  return { relations, functions }
}
