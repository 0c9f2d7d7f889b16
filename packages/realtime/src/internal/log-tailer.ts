import type pg from 'pg'

/** What one fetch of a log returns: rows after the cursor, and the snapshot facts gap handling needs. */
export interface LogPage<Row> {
  rows: Row[]
  /** Transactions in progress in the statement's snapshot (xid8 as text). */
  xip: string[]
  /** How many of the transactions passed as `waiting` are still in progress in that snapshot. */
  running: number
}

type Queryable = Pick<pg.Pool, 'query'>

/**
 * Reads one of the append-only logs (`realtime.changes`, `realtime.messages`) after a cursor, in id
 * order, and hands settled rows to `onBatch`.
 *
 * Ids come from a sequence, so they are assigned in statement order, not commit order: when
 * transaction A takes id 10 and B takes 11 and commits first, reading "everything after 9" sees 11
 * before 10 exists. Advancing past such a gap would lose 10 forever (and break resume by id). So a
 * missing id stops the cursor: whoever holds it was in progress in the snapshot that saw the gap
 * (its capture trigger runs after the row write, so it already has an xid); once none of those
 * transactions is still running — checked in the same snapshot as the rows — the id is a rollback
 * hole and is skipped. The common case (no concurrent writers) never waits.
 */
export class LogTailer<Row extends { id: number }> {
  #cursor: number
  #dirty = false
  #running: Promise<void> | null = null
  #gap: { at: number; xids: string[]; cleared: boolean } | null = null
  #gapTimer: NodeJS.Timeout | null = null
  #stopped = false

  constructor(
    private readonly settings: {
      db: Queryable
      /** SQL selecting `{ rows, xip, running }` given `$1` cursor, `$2` limit, `$3` waited xids. */
      sql: string
      batchSize: number
      gapPollMs: number
      onBatch: (rows: Row[]) => Promise<void> | void
      onError: (error: unknown) => void
      /**
       * When every writer of the log holds a known shared advisory lock for the rest of its
       * transaction (the capture triggers do), gaps wait only for those writers, not for every
       * transaction of the cluster.
       */
      writers?: { holdersSql: string; runningSql: string }
    },
    cursor: number,
  ) {
    this.#cursor = cursor
  }

  /** The highest id handed to `onBatch` (every id at or below it is settled). */
  get cursor(): number {
    return this.#cursor
  }

  /** Something was appended (a NOTIFY, a reconnect): read until caught up. */
  notify(): void {
    if (this.#stopped) return
    this.#dirty = true
    if (!this.#running) {
      this.#running = this.#loop().finally(() => {
        this.#running = null
      })
    }
  }

  /** Resolves when no read is in flight. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running
  }

  stop(): void {
    this.#stopped = true
    if (this.#gapTimer) clearTimeout(this.#gapTimer)
    this.#gapTimer = null
  }

  async #loop(): Promise<void> {
    while (this.#dirty && !this.#stopped) {
      this.#dirty = false
      try {
        const more = await this.#readOnce()
        if (more) this.#dirty = true
      } catch (error) {
        this.settings.onError(error)
        // Retry after a pause rather than spin; the log keeps everything meanwhile.
        this.#scheduleRetry(Math.max(this.settings.gapPollMs, 500))
        return
      }
    }
  }

  async #readOnce(): Promise<boolean> {
    const { db, writers } = this.settings
    if (writers && this.#gap && !this.#gap.cleared) {
      // Checked before the page's snapshot is taken: once none of the writers that held the lock
      // when the gap was seen is running, a missing id still missing in the next page is a hole.
      const { rows } = await db.query<{ n: number }>(writers.runningSql, [this.#gap.xids])
      if ((rows[0]?.n ?? 0) > 0) {
        this.#scheduleRetry(this.settings.gapPollMs)
        return false
      }
      this.#gap.cleared = true
    }
    const { rows: result } = await db.query<{ rows: Row[]; xip: string[]; running: number }>(
      this.settings.sql,
      [this.#cursor, this.settings.batchSize, writers ? [] : (this.#gap?.xids ?? [])],
    )
    const page = result[0]
    if (!page) return false
    const settled: Row[] = []
    let expected = this.#cursor + 1
    let blocked = false
    for (const row of page.rows) {
      if (row.id > expected) {
        const gap = this.#gap
        if (gap && gap.at === expected && (writers ? gap.cleared : page.running === 0)) {
          this.#gap = null // every transaction that could hold the missing ids has ended: rollback holes
        } else if (!gap || gap.at !== expected) {
          if (writers) {
            // Read after this page's snapshot: a holder of a missing id still running now holds the
            // lock (it took it before taking the id), so it is in this list.
            const { rows: holders } = await db.query<{ vxids: string[] }>(writers.holdersSql)
            this.#gap = { at: expected, xids: holders[0]?.vxids ?? [], cleared: false }
            blocked = true
            break
          }
          if (page.xip.length === 0) {
            this.#gap = null // nobody is writing: the ids were rolled back
          } else {
            this.#gap = { at: expected, xids: page.xip, cleared: false }
            blocked = true
            break
          }
        } else {
          blocked = true
          break
        }
      }
      settled.push(row)
      expected = row.id + 1
    }
    if (!blocked) this.#gap = null
    if (settled.length > 0) {
      this.#cursor = expected - 1
      await this.settings.onBatch(settled)
    }
    if (blocked) {
      this.#scheduleRetry(this.settings.gapPollMs)
      return false
    }
    return page.rows.length >= this.settings.batchSize
  }

  #scheduleRetry(ms: number) {
    if (this.#gapTimer || this.#stopped) return
    this.#gapTimer = setTimeout(() => {
      this.#gapTimer = null
      this.notify()
    }, ms)
    this.#gapTimer.unref?.()
  }
}

/**
 * The queries that list and watch the writers of a log: transactions holding the shared advisory
 * lock `(1735872628, objid)` its triggers take before taking ids (objid 1: changes, 2: messages).
 */
export function writerQueries(objid: 1 | 2): { holdersSql: string; runningSql: string } {
  const lock = `locktype = 'advisory' and granted and classid = 1735872628 and objid = ${objid} and objsubid = 2
    and database = (select oid from pg_catalog.pg_database where datname = current_database())`
  return {
    holdersSql: `select coalesce(array_agg(virtualtransaction), '{}') as vxids from pg_catalog.pg_locks where ${lock}`,
    runningSql: `select count(*)::int as n from pg_catalog.pg_locks where ${lock} and virtualtransaction = any($1::text[])`,
  }
}

/** The page query for `realtime.changes`. */
export const CHANGES_PAGE_SQL = `
with s as materialized (select pg_current_snapshot() as snap)
select
  (select coalesce(array_agg(x::text), '{}') from s, pg_snapshot_xip(s.snap) x) as xip,
  (select count(*)::int from s, pg_snapshot_xip(s.snap) x where x::text = any($3::text[])) as running,
  coalesce((
    select json_agg(c order by c.id) from (
      select id, schema_name, table_name, op, pk, record, old_record, commit_timestamp
        from realtime.changes where id > $1 order by id limit $2
    ) c
  ), '[]') as rows`

/** The page query for `realtime.messages`. */
export const MESSAGES_PAGE_SQL = `
with s as materialized (select pg_current_snapshot() as snap)
select
  (select coalesce(array_agg(x::text), '{}') from s, pg_snapshot_xip(s.snap) x) as xip,
  (select count(*)::int from s, pg_snapshot_xip(s.snap) x where x::text = any($3::text[])) as running,
  coalesce((
    select json_agg(m order by m.id) from (
      select id, topic, extension, event, payload from realtime.messages where id > $1 order by id limit $2
    ) m
  ), '[]') as rows`
