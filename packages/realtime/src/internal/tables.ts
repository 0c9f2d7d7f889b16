import type { JwtClaims } from '@groundwork/core'
import { realtimeError } from '../errors'
import { parseFilter } from '../filters'
import type { StreamRequest } from '../subscriptions'
import type { TableSubscription } from './connection'
import type { RealtimeContext } from './context'

/**
 * Resolves a stream's table subscriptions for a caller: each table must be published, the event
 * one of `*`/INSERT/UPDATE/DELETE, the filter parseable; then one read-only transaction as the
 * caller checks SELECT privilege on every table (403 otherwise) and that every filtered column
 * exists. Row visibility is decided later, per change, by RLS.
 */
export async function resolveTables(
  context: Pick<RealtimeContext, 'db' | 'changes'>,
  role: string,
  claims: JwtClaims,
  request: StreamRequest,
): Promise<TableSubscription[]> {
  const { db, changes } = context
  if (request.subscriptions.length === 0) return []
  const subs: TableSubscription[] = []
  const relids: number[] = []
  for (const input of request.subscriptions) {
    const schema = input.schema ?? 'public'
    let published = changes.publishedTable(schema, input.table)
    if (!published) {
      // Just enabled elsewhere? The reload on its NOTIFY may not have happened yet.
      await changes.loadPublished()
      published = changes.publishedTable(schema, input.table)
    }
    if (!published) {
      throw realtimeError('REALTIME_TABLE_NOT_PUBLISHED', `Table ${schema}.${input.table} is not published`, {
        hint: `Publish it with select realtime.enable('${schema}.${input.table}') or groundwork realtime enable`,
      })
    }
    const event = (input.event ?? '*').toUpperCase()
    if (event !== '*' && event !== 'INSERT' && event !== 'UPDATE' && event !== 'DELETE') {
      throw realtimeError(
        'REALTIME_INVALID_REQUEST',
        `Unknown event "${input.event}" (use *, INSERT, UPDATE or DELETE)`,
      )
    }
    const filterText = input.filter && input.filter !== '' ? input.filter : null
    subs.push({
      schema,
      table: input.table,
      event,
      filter: filterText ? parseFilter(filterText) : [],
      filterText,
    })
    relids.push(published.relid)
  }
  const { rows } = await db.withClaims(
    claims,
    (tx) =>
      tx.query<{ relid: string; allowed: boolean; columns: string[] }>(
        `select r.relid::text as relid, has_table_privilege(r.relid::oid, 'SELECT') as allowed,
                array(select attname::text from pg_catalog.pg_attribute
                       where attrelid = r.relid::oid and attnum > 0 and not attisdropped) as columns
           from unnest($1::int8[]) as r(relid)`,
        [relids],
      ),
    { readOnly: true },
  )
  const byRelid = new Map(rows.map((row) => [Number(row.relid), row]))
  subs.forEach((sub, index) => {
    const info = byRelid.get(relids[index] as number)
    if (!info?.allowed) {
      throw realtimeError('REALTIME_FORBIDDEN', `Permission denied for table ${sub.schema}.${sub.table}`, {
        hint: `grant select on ${sub.schema}.${sub.table} to ${role}`,
      })
    }
    const columns = new Set(info.columns)
    for (const condition of sub.filter) {
      if (!columns.has(condition.column)) {
        throw realtimeError(
          'REALTIME_UNKNOWN_COLUMN',
          `Column "${condition.column}" does not exist in ${sub.schema}.${sub.table}`,
        )
      }
    }
  })
  return subs
}
