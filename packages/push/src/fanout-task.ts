import { type AnyTaskDefinition, type Database, defineTask } from '@groundwork/core'
import { addJob } from '@groundwork/jobs'
import { z } from 'zod'
import { UUID } from './message'

/** The task that turns a notification into delivery jobs (`<package>:<task>`). */
export const FANOUT_TASK = 'push:fanout'
/** The task that delivers one batch of a notification. */
export const DELIVER_TASK = 'push:deliver'

const NIL_UUID = '00000000-0000-0000-0000-000000000000'

/** The fan-out job's payload: only the notification id (the message stays in the database). */
export const fanoutPayload = z.object({ notificationId: z.string().regex(UUID) })
/** A delivery job's payload: which batch of which notification. */
export const deliverPayload = z.object({
  notificationId: z.string().regex(UUID),
  batch: z.number().int().positive(),
})

// The next `$6` recipients after the cursor, in id order: the union of three index range scans
// (devices of the users, the devices named, subscribers of the topic), each cut at `$6`, so a
// step costs the same on the first page of a million subscribers as on the last. Deliveries are
// numbered into batches of `$7` devices from batch `$8` on.
const NEXT_STEP_SQL = `with next as (
    select id from (
      (select d.id from push.devices d where d.user_id = any($3::uuid[]) and d.id > $2::uuid and d.disabled_at is null order by d.id limit $6)
      union
      (select d.id from push.devices d where d.id = any($4::uuid[]) and d.id > $2::uuid and d.disabled_at is null order by d.id limit $6)
      union
      (select t.device_id from push.device_topics t join push.devices d on d.id = t.device_id
        where $5::text is not null and t.topic = $5 and t.device_id > $2::uuid and d.disabled_at is null order by t.device_id limit $6)
    ) u order by id limit $6
  ), numbered as (
    select id, $8::int + ((row_number() over (order by id) - 1) / $7)::int as batch from next
  ), inserted as (
    insert into push.deliveries (notification_id, device_id, batch) select $1, id, batch from numbered
    on conflict (notification_id, device_id) do nothing returning batch
  )
  select (select count(*)::int from next) as found, (select count(*)::int from inserted) as inserted,
    (select coalesce(array_agg(distinct batch order by batch), '{}') from inserted) as batches,
    (select (array_agg(id order by id desc))[1]::text from next) as last`

/** Most delivery batches one fan-out step creates (steps grow 1, 3, 12, … up to this). */
const MAX_BATCHES_PER_STEP = 16

/**
 * `push:fanout`: resolves the recipients of a notification into delivery batches of `batchSize`
 * devices. It works in steps, each one transaction that locks the notification, creates the
 * step's `pending` deliveries, enqueues one `push:deliver` job per batch and advances the cursor,
 * so a worker killed mid-fan-out loses nothing and repeats nothing: the retried job resumes after
 * the last committed step. The first step is one batch, so delivery starts at once; steps then
 * grow fourfold (1, 3, 12, then 16 batches), so a large fan-out costs few transactions and stays
 * ahead of the deliveries.
 */
export function createFanoutTask(
  db: Database,
  deliverTask: AnyTaskDefinition,
  options: { batchSize: number; maxAttempts: number },
): AnyTaskDefinition {
  return defineTask({
    name: FANOUT_TASK,
    schema: fanoutPayload,
    maxAttempts: options.maxAttempts,
    async run({ notificationId }, ctx) {
      for (;;) {
        ctx.signal.throwIfAborted()
        const done = await db.transaction(async (tx) => {
          const { rows } = await tx.query(
            `select target, coalesce(fanout_cursor::text, $2) as cursor, fanout_batches, fanned_out_at
               from push.notifications where id = $1 for update`,
            [notificationId, NIL_UUID],
          )
          const notification = rows[0]
          if (!notification || notification.fanned_out_at) return true
          const target = notification.target as {
            userIds: string[]
            deviceIds: string[]
            topic: string | null
          }
          const done = notification.fanout_batches as number
          const limit = options.batchSize * Math.min(Math.max(done * 3, 1), MAX_BATCHES_PER_STEP)
          const { rows: result } = await tx.query(NEXT_STEP_SQL, [
            notificationId,
            notification.cursor,
            target.userIds,
            target.deviceIds,
            target.topic,
            limit,
            options.batchSize,
            done + 1,
          ])
          const { found, inserted, batches, last } = result[0] as {
            found: number
            inserted: number
            batches: number[]
            last: string | null
          }
          for (const batch of batches) await addJob(tx, deliverTask, { notificationId, batch })
          const finished = found < limit
          await tx.query(
            `update push.notifications set fanout_cursor = coalesce($2::uuid, fanout_cursor),
               fanout_batches = greatest(fanout_batches, $3), device_count = device_count + $4,
               fanned_out_at = case when $5 then now() end
             where id = $1`,
            [notificationId, last, batches.at(-1) ?? 0, inserted, finished],
          )
          return finished
        })
        if (done) return
      }
    },
  })
}
