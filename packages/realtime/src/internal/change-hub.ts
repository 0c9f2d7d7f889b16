import type { Database, JwtClaims, Logger } from '@groundwork/core'
import { matchesFilter } from '../filters'
import type { Connection, TableSubscription } from './connection'
import { sseMessage } from './sse'

/** A row of `realtime.changes` as the page query returns it. */
export interface ChangeRow {
  id: number
  schema_name: string
  table_name: string
  op: 'INSERT' | 'UPDATE' | 'DELETE'
  pk: Record<string, unknown>
  record: Record<string, unknown> | null
  old_record: Record<string, unknown> | null
  commit_timestamp: string
}

/** A table `realtime.enable()` was called on. */
export interface PublishedTable {
  schema: string
  table: string
  relid: number
  pkColumns: string[]
}

/** The JSON data of one change event (the wire contract). */
export interface ChangePayload {
  schema: string
  table: string
  type: 'INSERT' | 'UPDATE' | 'DELETE'
  record: Record<string, unknown> | null
  old_record: Record<string, unknown> | null
  commit_timestamp: string
}

/**
 * A change's SSE frame: `record` is the new row; `old_record` carries only the primary key. With
 * `columns` (a subscriber whose role may SELECT only some columns), both carry only those.
 */
export function changeFrame(row: ChangeRow, columns: readonly string[] | null = null): Uint8Array {
  const payload: ChangePayload = {
    schema: row.schema_name,
    table: row.table_name,
    type: row.op,
    record: row.op === 'DELETE' ? null : only(row.record, columns),
    old_record: row.op === 'INSERT' ? null : only(row.pk, columns),
    commit_timestamp: row.commit_timestamp,
  }
  return sseMessage(row.op, payload, row.id)
}

function only(
  record: Record<string, unknown> | null,
  columns: readonly string[] | null,
): Record<string, unknown> | null {
  if (!record || !columns) return record
  const kept: Record<string, unknown> = {}
  for (const column of columns) if (column in record) kept[column] = record[column]
  return kept
}

/** The columns `connection` may read of this change's table (null: all), from its subscription. */
function readableColumns(connection: Connection, row: ChangeRow): readonly string[] | null {
  for (const sub of connection.tables) {
    if (sub.schema === row.schema_name && sub.table === row.table_name) return sub.columns
  }
  return null
}

/** Encodes each distinct payload of a change once: the full one, and one per readable-column set. */
class FrameCache {
  #row: ChangeRow
  #full: Uint8Array | null = null
  #partial: Map<string, Uint8Array> | null = null

  constructor(row: ChangeRow) {
    this.#row = row
  }

  for(columns: readonly string[] | null): Uint8Array {
    if (!columns) {
      this.#full ??= changeFrame(this.#row)
      return this.#full
    }
    this.#partial ??= new Map()
    const key = columns.join('\u0000')
    let frame = this.#partial.get(key)
    if (!frame) {
      frame = changeFrame(this.#row, columns)
      this.#partial.set(key, frame)
    }
    return frame
  }
}

/** Whether a connection's subscription wants this change (event type and filter). */
export function wants(subscription: TableSubscription, row: ChangeRow): boolean {
  if (subscription.event !== '*' && subscription.event !== row.op) return false
  // Evaluated on the row visibility is decided on (the removed row for DELETE, of which only the
  // primary key is sent). Filters name only columns the subscriber may SELECT (checked at
  // subscribe), so a filter never tells more than reading that row would.
  return matchesFilter(subscription.filter, row.op === 'DELETE' ? row.old_record : row.record)
}

/** Batches whose visibility may be pending at once (deliveries stay in order). */
const MAX_BATCHES_IN_FLIGHT = 3

/** Below this many identities per slice, splitting the visibility check costs more than it saves. */
const MIN_GROUPS_PER_SLICE = 100

function tableKey(schema: string, table: string) {
  return `${schema}\u0000${table}`
}

/**
 * Fans changes out to connections. For each batch read from the log it collects, per distinct
 * (role, claims) identity, the tables it is interested in, and asks Postgres once —
 * `realtime.visible(groups, tables)` — which changes each identity may see. Then it writes each
 * change's (once-encoded) frame to every interested connection whose identity may see it, in log
 * order.
 */
export class ChangeHub {
  readonly #byTable = new Map<string, Set<Connection>>()
  #published = new Map<string, PublishedTable>()
  /** Every change at or below this id has been assigned to the connections registered then. */
  dispatchedThrough = 0
  /** Deliveries written, for stats. */
  delivered = 0
  /** Batches dispatched, visibility round-trip time spent on them (ms), and (identity, change) pairs checked. */
  batches = 0
  visibilityMs = 0
  checks = 0
  #delivering: Promise<void> = Promise.resolve()
  readonly #inFlight: Promise<void>[] = []

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    /** Visibility queries one batch may run at once (identities split evenly between them). */
    private readonly concurrency = 1,
  ) {}

  get published(): ReadonlyMap<string, PublishedTable> {
    return this.#published
  }

  publishedTable(schema: string, table: string): PublishedTable | undefined {
    return this.#published.get(tableKey(schema, table))
  }

  async loadPublished(): Promise<void> {
    const { rows } = await this.db.query<{
      schema_name: string
      table_name: string
      relid: number
      pk_columns: string[]
    }>('select schema_name, table_name, relid::int8 as relid, pk_columns from realtime.published')
    const next = new Map<string, PublishedTable>()
    for (const row of rows) {
      next.set(tableKey(row.schema_name, row.table_name), {
        schema: row.schema_name,
        table: row.table_name,
        relid: Number(row.relid),
        pkColumns: row.pk_columns,
      })
    }
    this.#published = next
  }

  get connectionCount(): number {
    let n = 0
    for (const set of this.#byTable.values()) n += set.size
    return n
  }

  add(connection: Connection): void {
    for (const sub of connection.tables) {
      const key = tableKey(sub.schema, sub.table)
      let set = this.#byTable.get(key)
      if (!set) {
        set = new Set()
        this.#byTable.set(key, set)
      }
      set.add(connection)
    }
  }

  remove(connection: Connection): void {
    for (const sub of connection.tables) {
      const key = tableKey(sub.schema, sub.table)
      const set = this.#byTable.get(key)
      set?.delete(connection)
      if (set?.size === 0) this.#byTable.delete(key)
    }
  }

  /**
   * Dispatches a batch of settled log rows (called by the log reader, one batch at a time, in log
   * order). Interest is assigned at once and the visibility round trip starts at once, so the
   * reader can fetch the next batch meanwhile (up to {@link MAX_BATCHES_IN_FLIGHT}); deliveries
   * still happen strictly in log order.
   */
  async dispatch(rows: ChangeRow[]): Promise<void> {
    const last = rows[rows.length - 1]
    if (!last) return
    // Assign interest synchronously, then move the horizon: a connection registering from now on
    // gets later changes live and earlier ones by replay.
    const interest = this.#interest(rows)
    this.dispatchedThrough = last.id
    if (interest.groups.length === 0) return
    this.batches++
    this.checks += interest.checks
    const started = performance.now()
    const visibility = this.#visible(interest.groups, interest.tables).then(
      (visible) => {
        this.visibilityMs += performance.now() - started
        return visible
      },
      (error: unknown) => error as Error,
    )
    const previous = this.#delivering
    const delivery = (async () => {
      const visible = await visibility
      await previous
      if (visible instanceof Map) this.#deliver(rows, interest.perRow, visible)
      else {
        // Never a silent gap: every connection that was due one of these changes is ended with its
        // resume point, and replays them (visibility re-checked) when it reconnects.
        this.failed(visible)
        for (const list of interest.perRow) for (const [connection] of list ?? []) connection.end('error')
      }
    })()
    this.#delivering = delivery
    this.#inFlight.push(delivery)
    void delivery.finally(() => {
      const index = this.#inFlight.indexOf(delivery)
      if (index >= 0) this.#inFlight.splice(index, 1)
    })
    while (this.#inFlight.length >= MAX_BATCHES_IN_FLIGHT) await this.#inFlight[0]
  }

  /** Resolves when every dispatched batch has been delivered. */
  async settled(): Promise<void> {
    await this.#delivering
  }

  #deliver(
    rows: ChangeRow[],
    perRow: ([Connection, number][] | undefined)[],
    visible: Map<number, Set<number>>,
  ) {
    const touched = new Set<Connection>()
    for (let i = 0; i < rows.length; i++) {
      const interested = perRow[i]
      if (!interested || interested.length === 0) continue
      const row = rows[i] as ChangeRow
      const frames = new FrameCache(row)
      for (const [connection, group] of interested) {
        if (connection.closed || !visible.get(group)?.has(row.id)) continue
        const frame = frames.for(readableColumns(connection, row))
        if (!connection.replaying && !touched.has(connection)) {
          touched.add(connection)
          connection.cork()
        }
        deliver(connection, frame, row.id)
        this.delivered++
      }
    }
    for (const connection of touched) connection.uncork()
  }

  #interest(rows: ChangeRow[]) {
    const groups: VisibilityGroup[] = []
    const groupIndex = new Map<
      string,
      { index: number; relids: Set<number>; wanted: Map<number, number[]> }
    >()
    const tables: VisibilityTables = {}
    const perRow: ([Connection, number][] | undefined)[] = new Array(rows.length)
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as ChangeRow
      const connections = this.#byTable.get(tableKey(row.schema_name, row.table_name))
      if (!connections) continue
      const published = this.#published.get(tableKey(row.schema_name, row.table_name))
      if (!published) continue
      let list: [Connection, number][] | undefined
      let added = false
      for (const connection of connections) {
        if (connection.closed || row.id <= connection.lastId) continue
        if (
          !connection.tables.some(
            (sub) => sub.schema === row.schema_name && sub.table === row.table_name && wants(sub, row),
          )
        ) {
          continue
        }
        let group = groupIndex.get(connection.claimsKey)
        if (!group) {
          group = { index: groups.length, relids: new Set(), wanted: new Map() }
          groupIndex.set(connection.claimsKey, group)
          groups.push({ role: connection.role, claims: connection.claims, relids: [] })
        }
        if (!group.relids.has(published.relid)) {
          group.relids.add(published.relid)
          ;(groups[group.index] as VisibilityGroup).relids.push(String(published.relid))
          group.wanted.set(published.relid, [])
        }
        const wanted = group.wanted.get(published.relid) as number[]
        if (wanted[wanted.length - 1] !== row.id) wanted.push(row.id)
        if (!added) {
          added = true
          addChange(tables, published.relid, row.id)
        }
        list ??= []
        list.push([connection, group.index])
      }
      perRow[i] = list
    }
    // Filters narrow interest: an identity is asked only about the changes one of its
    // connections wants (`only`), so Postgres does not evaluate policies for the others.
    let checks = 0
    for (const group of groupIndex.values()) {
      for (const [relid, wanted] of group.wanted) {
        checks += wanted.length
        if (wanted.length < (tables[relid] as number[]).length) {
          const visibilityGroup = groups[group.index] as VisibilityGroup
          visibilityGroup.only ??= {}
          visibilityGroup.only[String(relid)] = `{${wanted.join(',')}}`
        }
      }
    }
    return { groups, tables, perRow, checks }
  }

  /**
   * One round trip decides the batch for every identity. With many identities the list is split
   * into `concurrency` slices checked in parallel on separate connections (still one statement
   * per slice, however many subscribers), so Postgres can use more than one core.
   */
  async #visible(groups: VisibilityGroup[], tables: VisibilityTables) {
    const ids: Record<string, string> = {}
    for (const [relid, list] of Object.entries(tables)) ids[relid] = `{${list.join(',')}}`
    const tablesJson = JSON.stringify(ids)
    const slices = Math.max(1, Math.min(this.concurrency, Math.floor(groups.length / MIN_GROUPS_PER_SLICE)))
    const size = Math.ceil(groups.length / slices)
    const visible = new Map<number, Set<number>>()
    await Promise.all(
      Array.from({ length: slices }, async (_, slice) => {
        const offset = slice * size
        const { rows } = await this.db.query<{ grp: number; change_id: string }>({
          name: 'realtime_visible',
          text: 'select grp, change_id from realtime.visible($1::jsonb, $2::jsonb)',
          values: [JSON.stringify(groups.slice(offset, offset + size)), tablesJson],
        })
        for (const row of rows) {
          const group = row.grp + offset
          let set = visible.get(group)
          if (!set) {
            set = new Set()
            visible.set(group, set)
          }
          set.add(Number(row.change_id))
        }
      }),
    )
    return visible
  }

  /**
   * Replays, for one connection, the changes after `after` up to `through` that it may see,
   * page by page, waiting for its buffer to drain between pages.
   */
  async replay(connection: Connection, after: number, through: number, pageSize: number): Promise<void> {
    const schemas = connection.tables.map((sub) => sub.schema)
    const names = connection.tables.map((sub) => sub.table)
    let cursor = after
    while (cursor < through && !connection.closed) {
      const { rows } = await this.db.query<{ rows: ChangeRow[] }>(
        `select coalesce((select json_agg(c order by c.id) from (
           select id, schema_name, table_name, op, pk, record, old_record, commit_timestamp
             from realtime.changes
            where id > $1 and id <= $2
              and (schema_name, table_name) in (select * from unnest($3::text[], $4::text[]))
            order by id limit $5) c), '[]') as rows`,
        [cursor, through, schemas, names, pageSize],
      )
      const page = rows[0]?.rows ?? []
      if (page.length === 0) break
      cursor = (page[page.length - 1] as ChangeRow).id
      const tables: VisibilityTables = {}
      const relids = new Set<string>()
      const candidates: ChangeRow[] = []
      for (const row of page) {
        const published = this.#published.get(tableKey(row.schema_name, row.table_name))
        if (!published) continue
        if (
          !connection.tables.some(
            (sub) => sub.schema === row.schema_name && sub.table === row.table_name && wants(sub, row),
          )
        ) {
          continue
        }
        candidates.push(row)
        relids.add(String(published.relid))
        addChange(tables, published.relid, row.id)
      }
      if (candidates.length === 0) continue
      const visible = await this.#visible(
        [{ role: connection.role, claims: connection.claims, relids: [...relids] }],
        tables,
      )
      for (const row of candidates) {
        if (!visible.get(0)?.has(row.id)) continue
        connection.send(changeFrame(row, readableColumns(connection, row)), row.id)
        this.delivered++
      }
      await connection.waitForRoom()
    }
  }

  /** Reports a failed dispatch. */
  failed(error: unknown): void {
    this.logger.error('realtime: dispatching changes failed; affected subscribers will resume', error)
  }
}

function deliver(connection: Connection, frame: Uint8Array, id: number) {
  if (connection.replaying) {
    connection.backlog.push({ id, frame })
    if (connection.backlog.length > connection.bufferSize) connection.end('slow_consumer')
    return
  }
  connection.send(frame, id)
}

interface VisibilityGroup {
  role: string
  claims: JwtClaims
  relids: string[]
  /** Per table: the only change ids this identity is interested in, as an array literal (absent: all). */
  only?: Record<string, string>
}

/** Per published table (relid): the batch's change ids its interested identities are asked about. */
type VisibilityTables = Record<string, number[]>

function addChange(tables: VisibilityTables, relid: number, id: number): void {
  const ids = tables[relid]
  if (ids) ids.push(id)
  else tables[relid] = [id]
}
