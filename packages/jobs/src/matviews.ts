import { type Database, quoteQualified } from '@groundwork/core'
import { jobsError } from './errors'
import { assertCron, assertTimeZone } from './internal/cron'
import { errorText } from './internal/task-list'
import type { Schedules } from './schedules'

/** The built-in task that refreshes a registered materialized view (payload `{ name }`). */
export const REFRESH_MATVIEW_TASK = 'jobs:refresh-matview'

/** A registered materialized view and the outcome of its last refresh. */
export interface Matview {
  /** `schema.view`. */
  name: string
  schema: string
  view: string
  /** Cron expression of its scheduled refresh (a schedule named `matview:<name>`), if any. */
  schedule: string | null
  timeZone: string
  /** Scheduled refreshes use `REFRESH … CONCURRENTLY`. */
  concurrently: boolean
  status: 'never' | 'refreshing' | 'success' | 'failure'
  lastStartedAt: Date | null
  lastFinishedAt: Date | null
  lastDurationMs: number | null
  lastError: string | null
  /** False until the view is first refreshed (created `WITH NO DATA`). */
  populated: boolean
  registeredAt: Date
}

/** Options of {@link Matviews.register}. */
export interface RegisterMatviewOptions {
  /** 5-field cron: refresh on this schedule with the built-in `jobs:refresh-matview` task. */
  schedule?: string | null
  /** @default 'UTC' */
  timeZone?: string
  /** Scheduled refreshes use `CONCURRENTLY` (needs a unique index; see {@link Matviews.refresh}). @default false */
  concurrently?: boolean
}

/** The outcome of a refresh. */
export interface RefreshResult {
  name: string
  concurrently: boolean
  durationMs: number
}

/** Materialized views Groundwork refreshes: on demand, or on a DB-stored schedule. */
export interface Matviews {
  list(): Promise<Matview[]>
  get(name: string): Promise<Matview | null>
  /** Registers `schema.view` (default schema `public`); `JOBS_NOT_A_MATVIEW` if it is not one. Re-registering updates it. */
  register(name: string, options?: RegisterMatviewOptions): Promise<Matview>
  /** Forgets a view and its schedule; false if it was not registered. */
  unregister(name: string): Promise<boolean>
  /**
   * Refreshes a registered view now. One refresh per view at a time across every instance
   * (`pg_try_advisory_lock`): a second caller gets `JOBS_MATVIEW_REFRESH_IN_PROGRESS` (409).
   * `concurrently` needs a populated view with a unique, non-partial index on plain columns,
   * otherwise `JOBS_MATVIEW_CONCURRENT_UNSUPPORTED`. Status, duration and error are recorded.
   *
   * @see https://www.postgresql.org/docs/current/sql-refreshmaterializedview.html
   */
  refresh(name: string, options?: { concurrently?: boolean }): Promise<RefreshResult>
}

interface MatviewRow {
  name: string
  schema_name: string
  view_name: string
  schedule: string | null
  time_zone: string
  refresh_concurrently: boolean
  status: Matview['status']
  last_started_at: Date | null
  last_finished_at: Date | null
  last_duration_ms: number | null
  last_error: string | null
  registered_at: Date
  populated: boolean | null
}

const SELECT = `select m.name, m.schema_name, m.view_name, m.schedule, m.time_zone, m.refresh_concurrently, m.status,
  m.last_started_at, m.last_finished_at, m.last_duration_ms, m.last_error, m.registered_at, v.ispopulated as populated
  from jobs.matviews m left join pg_matviews v on v.schemaname = m.schema_name and v.matviewname = m.view_name`

// The first key of the two-int advisory lock namespace used for refreshes (any constant).
const LOCK_NAMESPACE = 72_561_904

function toMatview(row: MatviewRow): Matview {
  return {
    name: row.name,
    schema: row.schema_name,
    view: row.view_name,
    schedule: row.schedule,
    timeZone: row.time_zone,
    concurrently: row.refresh_concurrently,
    status: row.status,
    lastStartedAt: row.last_started_at,
    lastFinishedAt: row.last_finished_at,
    lastDurationMs: row.last_duration_ms,
    lastError: row.last_error,
    populated: row.populated ?? false,
    registeredAt: row.registered_at,
  }
}

/** `view` or `schema.view` (no quoting: names with dots are not supported here). */
export function parseMatviewName(name: string): { schema: string; view: string; name: string } {
  const parts = name.split('.')
  const [schema, view] = parts.length === 1 ? ['public', parts[0]] : parts
  if (parts.length > 2 || !schema || !view) {
    throw jobsError(
      'JOBS_INVALID_REQUEST',
      `Materialized view name "${name}" must be "view" or "schema.view"`,
    )
  }
  return { schema, view, name: `${schema}.${view}` }
}

/** The schedule that refreshes a registered view. */
export function matviewScheduleName(name: string): string {
  return `matview:${name}`
}

/** The matviews service over `jobs.matviews` and `pg_matviews`. */
export function createMatviews(db: Database, schedules: Schedules): Matviews {
  async function get(name: string): Promise<Matview | null> {
    const id = parseMatviewName(name)
    const { rows } = await db.query<MatviewRow>(`${SELECT} where m.name = $1`, [id.name])
    return rows[0] ? toMatview(rows[0]) : null
  }

  async function canRefreshConcurrently(
    schema: string,
    view: string,
  ): Promise<{ ok: boolean; reason?: string }> {
    const { rows } = await db.query<{ populated: boolean; has_index: boolean }>(
      `select v.ispopulated as populated, exists (
         select 1 from pg_index i
         where i.indrelid = format('%I.%I', v.schemaname, v.matviewname)::regclass
           and i.indisunique and i.indpred is null and i.indexprs is null and i.indisvalid
       ) as has_index
       from pg_matviews v where v.schemaname = $1 and v.matviewname = $2`,
      [schema, view],
    )
    const row = rows[0]
    if (!row) return { ok: false, reason: 'it no longer exists' }
    if (!row.populated)
      return { ok: false, reason: 'it has never been populated (refresh it once without CONCURRENTLY)' }
    if (!row.has_index)
      return { ok: false, reason: 'it has no unique index on plain columns without a WHERE clause' }
    return { ok: true }
  }

  return {
    async list() {
      const { rows } = await db.query<MatviewRow>(`${SELECT} order by m.name`)
      return rows.map(toMatview)
    },
    get,
    async register(name, options = {}) {
      const id = parseMatviewName(name)
      const timeZone = options.timeZone ?? 'UTC'
      if (options.schedule) assertCron(options.schedule)
      assertTimeZone(timeZone)
      const exists = await db.query('select 1 from pg_matviews where schemaname = $1 and matviewname = $2', [
        id.schema,
        id.view,
      ])
      if (exists.rows.length === 0) {
        throw jobsError('JOBS_NOT_A_MATVIEW', `"${id.name}" is not a materialized view`, {
          hint: 'Create it with CREATE MATERIALIZED VIEW first; plain views and tables cannot be refreshed.',
        })
      }
      await db.query(
        `insert into jobs.matviews (name, schema_name, view_name, schedule, time_zone, refresh_concurrently)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (name) do update set schedule = excluded.schedule, time_zone = excluded.time_zone,
           refresh_concurrently = excluded.refresh_concurrently`,
        [id.name, id.schema, id.view, options.schedule ?? null, timeZone, options.concurrently ?? false],
      )
      if (options.schedule) {
        await schedules.upsert({
          name: matviewScheduleName(id.name),
          task: REFRESH_MATVIEW_TASK,
          cron: options.schedule,
          timeZone,
          payload: { name: id.name },
          maxAttempts: 3,
        })
      } else {
        await schedules.delete(matviewScheduleName(id.name))
      }
      return (await get(id.name)) as Matview
    },
    async unregister(name) {
      const id = parseMatviewName(name)
      await schedules.delete(matviewScheduleName(id.name))
      const { rows } = await db.query('delete from jobs.matviews where name = $1 returning name', [id.name])
      return rows.length > 0
    },
    async refresh(name, options = {}) {
      const id = parseMatviewName(name)
      const registered = await get(id.name)
      if (!registered) {
        throw jobsError('JOBS_MATVIEW_NOT_REGISTERED', `Materialized view "${id.name}" is not registered`, {
          hint: 'Register it first: matviews.register(name) or `groundwork matviews register <name>`.',
        })
      }
      const concurrently = options.concurrently ?? registered.concurrently
      if (concurrently) {
        const check = await canRefreshConcurrently(id.schema, id.view)
        if (!check.ok) {
          throw jobsError(
            'JOBS_MATVIEW_CONCURRENT_UNSUPPORTED',
            `"${id.name}" cannot be refreshed CONCURRENTLY: ${check.reason}`,
            {
              hint: 'Add a unique index on plain columns (no WHERE clause, no expressions), or refresh without concurrently.',
            },
          )
        }
      }
      const client = await db.pool.connect()
      let broken: Error | undefined
      try {
        const lock = await client.query<{ locked: boolean }>(
          'select pg_try_advisory_lock($1, hashtext($2)) as locked',
          [LOCK_NAMESPACE, id.name],
        )
        if (!lock.rows[0]?.locked) {
          throw jobsError('JOBS_MATVIEW_REFRESH_IN_PROGRESS', `"${id.name}" is already being refreshed`, {
            hint: 'Wait for the running refresh to finish.',
          })
        }
        const started = performance.now()
        try {
          await client.query(
            `update jobs.matviews set status = 'refreshing', last_started_at = now() where name = $1`,
            [id.name],
          )
          try {
            await client.query(
              `refresh materialized view ${concurrently ? 'concurrently ' : ''}${quoteQualified(id.schema, id.view)}`,
            )
          } catch (error) {
            const durationMs = Math.round(performance.now() - started)
            await client.query(
              `update jobs.matviews set status = 'failure', last_finished_at = now(), last_duration_ms = $2, last_error = $3 where name = $1`,
              [id.name, durationMs, errorText(error)],
            )
            throw jobsError(
              'JOBS_MATVIEW_REFRESH_FAILED',
              `Refresh of "${id.name}" failed: ${(error as Error).message}`,
              {
                cause: error,
              },
            )
          }
          const durationMs = Math.round(performance.now() - started)
          await client.query(
            `update jobs.matviews set status = 'success', last_finished_at = now(), last_duration_ms = $2, last_error = null where name = $1`,
            [id.name, durationMs],
          )
          return { name: id.name, concurrently, durationMs }
        } finally {
          await client
            .query('select pg_advisory_unlock($1, hashtext($2))', [LOCK_NAMESPACE, id.name])
            .catch((error: Error) => {
              broken = error
            })
        }
      } finally {
        // A connection whose unlock failed may still hold the lock: destroy it rather than pool it.
        client.release(broken)
      }
    },
  }
}
