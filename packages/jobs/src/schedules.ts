import type { Database, Logger } from '@groundwork/core'
import { jobsError } from './errors'
import { assertCron, assertTimeZone, nextTick, ticksBetween } from './internal/cron'
import { checkJobNumbers } from './internal/job-numbers'
import { errorText } from './internal/task-list'

/** A recurring job stored in `jobs.schedules`. */
export interface Schedule {
  name: string
  /** The task its jobs run. */
  task: string
  payload: unknown
  /** 5-field cron expression, read in `timeZone`. */
  cron: string
  /** IANA time zone the expression is read in (`0 9 * * *` in `Asia/Kolkata` is 09:00 IST). */
  timeZone: string
  enabled: boolean
  /** Ticks missed by up to this many seconds (all instances down) are still enqueued on the next tick. */
  backfillSeconds: number
  queue: string | null
  priority: number | null
  maxAttempts: number | null
  /** The next tick not yet enqueued (null while disabled). */
  nextRunAt: Date | null
  /** The last tick that was enqueued. */
  lastRunAt: Date | null
  createdAt: Date
  updatedAt: Date
}

/** Input of {@link Schedules.create}. */
export interface ScheduleInput {
  /** Unique name (also part of each tick's job key: `schedule:<name>:<tick ISO>`). */
  name: string
  task: string
  cron: string
  /** @default 'UTC' */
  timeZone?: string
  /** @default {} */
  payload?: unknown
  /** @default true */
  enabled?: boolean
  /** @default 0 (only ticks missed by less than the scheduler's grace period still run) */
  backfillSeconds?: number
  queue?: string | null
  priority?: number | null
  maxAttempts?: number | null
}

/** Changes accepted by {@link Schedules.update}. */
export type SchedulePatch = Partial<Omit<ScheduleInput, 'name'>>

/** A tick the scheduler enqueued. */
export interface EnqueuedTick {
  schedule: string
  task: string
  tick: Date
  jobId: string | null
  jobKey: string
  backfilled: boolean
}

/** Runtime-editable schedules; the scheduler enqueues each due tick exactly once across instances. */
export interface Schedules {
  list(): Promise<Schedule[]>
  get(name: string): Promise<Schedule | null>
  /** Creates a schedule (`JOBS_SCHEDULE_EXISTS` if the name is taken). `now` sets when its first tick is computed from. */
  create(input: ScheduleInput, options?: { now?: Date }): Promise<Schedule>
  /** Creates the schedule, or updates it to `input` when it exists (for schedules defined in code). */
  upsert(input: ScheduleInput, options?: { now?: Date }): Promise<Schedule>
  /** Changes a schedule; a new cron, time zone or re-enabling recomputes `nextRunAt` from `now`. */
  update(name: string, patch: SchedulePatch, options?: { now?: Date }): Promise<Schedule>
  enable(name: string, options?: { now?: Date }): Promise<Schedule>
  disable(name: string): Promise<Schedule>
  /** Deletes a schedule; false if it did not exist. Jobs it already enqueued are left alone. */
  delete(name: string): Promise<boolean>
  /**
   * Enqueues every due tick as of `now`: claims due schedules with `FOR UPDATE SKIP LOCKED`,
   * adds one job per tick (job key `schedule:<name>:<tick ISO>`, mode `unsafe_dedupe`) and
   * advances `next_run_at` in the same transaction, so concurrent instances never enqueue a tick
   * twice. The runner calls it every `scheduleInterval`; tests call it with a chosen `now`.
   */
  tick(now?: Date): Promise<EnqueuedTick[]>
}

interface ScheduleRow {
  name: string
  task: string
  payload: unknown
  cron: string
  time_zone: string
  enabled: boolean
  backfill_seconds: number
  queue: string | null
  priority: number | null
  max_attempts: number | null
  next_run_at: Date | null
  last_run_at: Date | null
  created_at: Date
  updated_at: Date
}

const COLUMNS =
  'name, task, payload, cron, time_zone, enabled, backfill_seconds, queue, priority, max_attempts, next_run_at, last_run_at, created_at, updated_at'

function toSchedule(row: ScheduleRow): Schedule {
  return {
    name: row.name,
    task: row.task,
    payload: row.payload,
    cron: row.cron,
    timeZone: row.time_zone,
    enabled: row.enabled,
    backfillSeconds: row.backfill_seconds,
    queue: row.queue,
    priority: row.priority,
    maxAttempts: row.max_attempts,
    nextRunAt: row.next_run_at,
    lastRunAt: row.last_run_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

function validate(input: SchedulePatch & { name?: string }): void {
  if (input.name !== undefined && !/^[\w:.\-/]{1,200}$/.test(input.name)) {
    throw jobsError(
      'JOBS_INVALID_REQUEST',
      `Schedule name "${input.name}" must be 1-200 characters of A-Z a-z 0-9 _ : . - /`,
    )
  }
  if (input.task !== undefined && (typeof input.task !== 'string' || input.task === '')) {
    throw jobsError('JOBS_INVALID_REQUEST', 'Schedule `task` must be a non-empty string')
  }
  if (input.cron !== undefined) assertCron(input.cron)
  if (input.timeZone !== undefined) assertTimeZone(input.timeZone)
  if (
    input.backfillSeconds !== undefined &&
    (!Number.isInteger(input.backfillSeconds) ||
      input.backfillSeconds < 0 ||
      input.backfillSeconds > 2_147_483_647)
  ) {
    // backfill_seconds is an integer column; at most 1000 missed ticks are enqueued per tick anyway.
    throw jobsError(
      'JOBS_INVALID_REQUEST',
      'Schedule `backfillSeconds` must be an integer from 0 to 2147483647',
    )
  }
  checkJobNumbers({ maxAttempts: input.maxAttempts, priority: input.priority }, 'Schedule')
}

/** Settings of {@link createSchedules}. */
export interface SchedulesSettings {
  logger: Logger
  /** Ticks missed by less than this (ms) run even without backfill (covers the scheduler's own interval). */
  graceMs: number
}

/** The schedules service over `jobs.schedules` (used by `createJobs`, the admin API and the CLI). */
export function createSchedules(db: Database, settings: SchedulesSettings): Schedules {
  const { logger } = settings

  async function get(name: string): Promise<Schedule | null> {
    const { rows } = await db.query<ScheduleRow>(`select ${COLUMNS} from jobs.schedules where name = $1`, [
      name,
    ])
    return rows[0] ? toSchedule(rows[0]) : null
  }

  async function insert(input: ScheduleInput, now: Date, onConflict: 'error' | 'update'): Promise<Schedule> {
    validate(input)
    if (typeof input.cron !== 'string') throw jobsError('JOBS_INVALID_REQUEST', 'Schedule `cron` is required')
    if (typeof input.task !== 'string') throw jobsError('JOBS_INVALID_REQUEST', 'Schedule `task` is required')
    const timeZone = input.timeZone ?? 'UTC'
    const enabled = input.enabled ?? true
    const next = enabled ? nextTick(input.cron, timeZone, now) : null
    const values = [
      input.name,
      input.task,
      JSON.stringify(input.payload ?? {}),
      input.cron.trim(),
      timeZone,
      enabled,
      input.backfillSeconds ?? 0,
      input.queue ?? null,
      input.priority ?? null,
      input.maxAttempts ?? null,
      next,
    ]
    const conflict =
      onConflict === 'update'
        ? `on conflict (name) do update set task = excluded.task, payload = excluded.payload,
            enabled = excluded.enabled, backfill_seconds = excluded.backfill_seconds, queue = excluded.queue,
            priority = excluded.priority, max_attempts = excluded.max_attempts, updated_at = now(),
            -- keep the pending tick when the timing did not change, so an upsert at boot skips nothing
            next_run_at = case when schedules.cron = excluded.cron and schedules.time_zone = excluded.time_zone
              and schedules.enabled = excluded.enabled then schedules.next_run_at else excluded.next_run_at end,
            cron = excluded.cron, time_zone = excluded.time_zone`
        : 'on conflict (name) do nothing'
    const { rows } = await db.query<ScheduleRow>(
      `insert into jobs.schedules (name, task, payload, cron, time_zone, enabled, backfill_seconds, queue, priority, max_attempts, next_run_at)
       values ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10, $11) ${conflict} returning ${COLUMNS}`,
      values,
    )
    if (!rows[0]) throw jobsError('JOBS_SCHEDULE_EXISTS', `A schedule named "${input.name}" already exists`)
    return toSchedule(rows[0])
  }

  async function update(name: string, patch: SchedulePatch, options: { now?: Date } = {}): Promise<Schedule> {
    validate(patch)
    return db.transaction(async (tx) => {
      const { rows } = await tx.query<ScheduleRow>(
        `select ${COLUMNS} from jobs.schedules where name = $1 for update`,
        [name],
      )
      const row = rows[0]
      if (!row) throw jobsError('JOBS_SCHEDULE_NOT_FOUND', `No schedule named "${name}"`)
      const current = toSchedule(row)
      const cron = patch.cron?.trim() ?? current.cron
      const timeZone = patch.timeZone ?? current.timeZone
      const enabled = patch.enabled ?? current.enabled
      const timingChanged =
        cron !== current.cron || timeZone !== current.timeZone || enabled !== current.enabled
      const nextRunAt = !enabled
        ? null
        : timingChanged || current.nextRunAt === null
          ? nextTick(cron, timeZone, options.now ?? new Date())
          : current.nextRunAt
      const updated = await tx.query<ScheduleRow>(
        `update jobs.schedules set task = $2, payload = $3::jsonb, cron = $4, time_zone = $5, enabled = $6,
           backfill_seconds = $7, queue = $8, priority = $9, max_attempts = $10, next_run_at = $11, updated_at = now()
         where name = $1 returning ${COLUMNS}`,
        [
          name,
          patch.task ?? current.task,
          JSON.stringify(patch.payload !== undefined ? patch.payload : current.payload),
          cron,
          timeZone,
          enabled,
          patch.backfillSeconds ?? current.backfillSeconds,
          patch.queue !== undefined ? patch.queue : current.queue,
          patch.priority !== undefined ? patch.priority : current.priority,
          patch.maxAttempts !== undefined ? patch.maxAttempts : current.maxAttempts,
          nextRunAt,
        ],
      )
      return toSchedule(updated.rows[0] as ScheduleRow)
    })
  }

  /** Claims one due schedule, enqueues its ticks and advances it; null when none is due. */
  async function tickOne(
    now: Date,
    skip: string[],
    claimed: { name?: string },
  ): Promise<{ name: string; ticks: EnqueuedTick[] } | null> {
    return db.transaction(async (tx) => {
      const { rows } = await tx.query<ScheduleRow>(
        `select ${COLUMNS} from jobs.schedules
         where enabled and next_run_at <= $1 and not (name = any($2::text[]))
         order by next_run_at limit 1 for update skip locked`,
        [now, skip],
      )
      const row = rows[0]
      if (!row?.next_run_at) return null
      claimed.name = row.name
      const windowStart = new Date(now.getTime() - Math.max(row.backfill_seconds * 1000, settings.graceMs))
      const from = row.next_run_at > windowStart ? row.next_run_at : windowStart
      const due = ticksBetween(row.cron, row.time_zone, from, now)
      const skipped = row.next_run_at < windowStart
      if (skipped) {
        logger.info(
          `groundwork jobs: schedule "${row.name}" missed ticks since ${row.next_run_at.toISOString()} outside its backfill window; skipped`,
        )
      }
      const ticks: EnqueuedTick[] = []
      for (const tick of due) {
        const jobKey = `schedule:${row.name}:${tick.toISOString()}`
        const added = await tx.query<{ id: string | null }>(
          `select (graphile_worker.add_job(identifier => $1::text, payload => $2::json, queue_name => $3::text,
             run_at => $4::timestamptz, max_attempts => $5::int, job_key => $6::text, priority => $7::int,
             job_key_mode => 'unsafe_dedupe')).id::text as id`,
          [
            row.task,
            JSON.stringify(row.payload ?? {}),
            row.queue,
            tick,
            row.max_attempts,
            jobKey,
            row.priority,
          ],
        )
        const backfilled = now.getTime() - tick.getTime() > settings.graceMs
        ticks.push({
          schedule: row.name,
          task: row.task,
          tick,
          jobId: added.rows[0]?.id ?? null,
          jobKey,
          backfilled,
        })
      }
      const last = due.at(-1)
      await tx.query(
        'update jobs.schedules set next_run_at = $2, last_run_at = coalesce($3, last_run_at) where name = $1',
        [row.name, nextTick(row.cron, row.time_zone, now), last ?? null],
      )
      return { name: row.name, ticks }
    })
  }

  return {
    async list() {
      const { rows } = await db.query<ScheduleRow>(`select ${COLUMNS} from jobs.schedules order by name`)
      return rows.map(toSchedule)
    },
    get,
    create: (input, options = {}) => insert(input, options.now ?? new Date(), 'error'),
    upsert: (input, options = {}) => insert(input, options.now ?? new Date(), 'update'),
    update,
    enable: (name, options) => update(name, { enabled: true }, options),
    disable: (name) => update(name, { enabled: false }),
    async delete(name) {
      const { rows } = await db.query('delete from jobs.schedules where name = $1 returning name', [name])
      return rows.length > 0
    },
    async tick(now = new Date()) {
      const enqueued: EnqueuedTick[] = []
      const done: string[] = []
      for (;;) {
        let result: Awaited<ReturnType<typeof tickOne>>
        const claimed: { name?: string } = {}
        try {
          result = await tickOne(now, done, claimed)
        } catch (error) {
          logger.error(
            `groundwork jobs: scheduler tick failed${claimed.name ? ` for "${claimed.name}"` : ''}: ${errorText(error)}`,
          )
          // Retried on the next tick; meanwhile the other due schedules still run.
          if (!claimed.name) break
          done.push(claimed.name)
          continue
        }
        if (!result) break
        done.push(result.name)
        enqueued.push(...result.ticks)
      }
      return enqueued
    },
  }
}
