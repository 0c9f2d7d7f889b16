import type { Queryable } from '@groundwork/jobs'
import { UUID } from './message'

/** A push the dev provider recorded instead of sending. */
export interface DevPush {
  id: string
  notificationId: string | null
  deviceId: string | null
  userId: string | null
  provider: string
  token: string
  platform: string | null
  /** What the real provider would have received: FCM's `{ message }`, or APNs' `{ environment, headers, payload }`. */
  payload: unknown
  createdAt: Date
}

/** Filters of `push.api.dev.list`. */
export interface ListDevPushesOptions {
  /** Only pushes to this user's devices. */
  userId?: string | undefined
  /** @default 50, at most 500 */
  limit?: number | undefined
}

const COLUMNS =
  'id::text, notification_id::text, device_id::text, user_id::text, provider, token, platform, payload, created_at'

interface Row {
  id: string
  notification_id: string | null
  device_id: string | null
  user_id: string | null
  provider: string
  token: string
  platform: string | null
  payload: unknown
  created_at: Date
}

function toPush(row: Row): DevPush {
  return {
    id: row.id,
    notificationId: row.notification_id,
    deviceId: row.device_id,
    userId: row.user_id,
    provider: row.provider,
    token: row.token,
    platform: row.platform,
    payload: row.payload,
    createdAt: row.created_at,
  }
}

/** Reads `push.dev_outbox` (what the dev provider recorded), newest first. */
export function createDevOutbox(db: Queryable) {
  return {
    async list(options: ListDevPushesOptions = {}): Promise<DevPush[]> {
      if (options.userId !== undefined && !UUID.test(options.userId)) return []
      const limit = Math.min(Math.max(Math.trunc(options.limit ?? 50), 1), 500)
      const { rows } = await db.query(
        `select ${COLUMNS} from push.dev_outbox where $1::uuid is null or user_id = $1::uuid
         order by created_at desc, id desc limit $2`,
        [options.userId ?? null, limit],
      )
      return (rows as Row[]).map(toPush)
    },
    async get(id: string): Promise<DevPush | null> {
      if (!UUID.test(id)) return null
      const { rows } = await db.query(`select ${COLUMNS} from push.dev_outbox where id = $1`, [id])
      return rows[0] ? toPush(rows[0] as Row) : null
    },
    /** Deletes every recorded push; returns how many. */
    async clear(): Promise<number> {
      const { rows } = await db.query(
        'with d as (delete from push.dev_outbox returning 1) select count(*)::int as n from d',
      )
      return rows[0]?.n ?? 0
    },
  }
}

/** `push.api.dev`. */
export type DevOutboxApi = ReturnType<typeof createDevOutbox>
