import type { JwtClaims } from '@groundwork/core'
import { realtimeError } from '../errors'
import { parseFilter } from '../filters'
import type { StreamRequest } from '../subscriptions'
import type { TableSubscription } from './connection'
import type { RealtimeContext } from './context'

/**
 * Resolves a stream's table subscriptions for a caller: each table must be published, the event
 * one of `*`/INSERT/UPDATE/DELETE, the filter parseable; then one read-only transaction as the
 * caller checks SELECT privilege on every table (on the table or some of its columns; 403
 * otherwise), that every filtered column exists (400) and that the caller may SELECT it (403: a
 * filter is a question about the row, so it may only ask about columns the caller could read),
 * and notes the readable columns when they are not all of them (payloads carry only those). Row
 * visibility is decided later, per change, by the table's policies.
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
      columns: null,
    })
    relids.push(published.relid)
  }
  const { rows } = await db.withClaims(
    claims,
    (tx) =>
      tx.query<{ relid: string; allowed: boolean; columns: string[]; readable: string[] }>(
        `select r.relid::text as relid, has_any_column_privilege(r.relid::oid, 'SELECT') as allowed,
                array(select attname::text from pg_catalog.pg_attribute
                       where attrelid = r.relid::oid and attnum > 0 and not attisdropped) as columns,
                array(select attname::text from pg_catalog.pg_attribute
                       where attrelid = r.relid::oid and attnum > 0 and not attisdropped
                         and has_column_privilege(r.relid::oid, attnum, 'SELECT')) as readable
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
    const readable = new Set(info.readable)
    if (readable.size < columns.size) sub.columns = info.readable
    for (const condition of sub.filter) {
      if (!columns.has(condition.column)) {
        throw realtimeError(
          'REALTIME_UNKNOWN_COLUMN',
          `Column "${condition.column}" does not exist in ${sub.schema}.${sub.table}`,
        )
      }
      if (!readable.has(condition.column)) {
        throw realtimeError(
          'REALTIME_FORBIDDEN',
          `Permission denied to filter on column "${condition.column}" of ${sub.schema}.${sub.table}`,
          { hint: `Filters may only name columns ${role} can SELECT` },
        )
      }
    }
  })
  return subs
}
