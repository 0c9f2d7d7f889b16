import type { Database, JwtClaims, PrincipalCheck, Transaction } from '@groundwork/core'
import { z } from 'zod'
import { pushError } from './errors'
import { isStorableText } from './internal/storable'
import { TOPIC, UUID } from './message'
import type { ApnsEnvironment, DeviceProvider } from './providers/provider'

/**
 * Who calls a device method: a `Principal` from `authenticate(request)` fits (its `claims` and
 * `checks`); `signal` cancels the statement when the HTTP client goes away. The device SQL runs
 * with these claims (`db.withClaims`), so row-level security on `push.devices` decides.
 */
export interface PushCaller {
  claims: JwtClaims
  checks?: readonly PrincipalCheck[] | undefined
  signal?: AbortSignal | undefined
}

/** A registered device. */
export interface Device {
  id: string
  userId: string
  app: string | null
  provider: DeviceProvider
  token: string
  platform: string | null
  environment: ApnsEnvironment | null
  topic: string | null
  locale: string | null
  /** Topics the device is subscribed to. */
  topics: string[]
  createdAt: Date
  updatedAt: Date
  /** When the device was last registered (refreshed). */
  lastSeenAt: Date
  /** When delivery to it stopped (pruned or stale), and why. */
  disabledAt: Date | null
  disabledReason: string | null
}

/** Input of `push.api.devices.register` (`POST /devices`). */
export interface RegisterDeviceInput {
  /** The FCM registration token, or the APNs device token (hex). */
  token: string
  provider: DeviceProvider
  /** `ios`, `android`, `web`, `macos`… (lower-case letters, digits, `_`, `-`). */
  platform?: string | undefined
  /** APNs only: `sandbox` for development builds. @default 'production' */
  environment?: ApnsEnvironment | undefined
  /** APNs only: the bundle id, when it is not the provider's default topic. */
  topic?: string | undefined
  /** BCP 47 language tag. */
  locale?: string | undefined
  /** The app the device runs, for hosts with several. */
  app?: string | undefined
}

/** What registering answers. */
export interface RegisteredDevice {
  device: Device
  /** A new row (false: an existing token was refreshed). */
  created: boolean
  /** The token belonged to another user and moved to the caller (their topic subscriptions were dropped). */
  moved: boolean
}

/** `push.api.devices`: the caller's own devices, under row-level security. */
export interface DevicesApi {
  /** Registers or refreshes a device token for the caller; idempotent on the token. */
  register(caller: PushCaller, input: RegisterDeviceInput): Promise<RegisteredDevice>
  /** The caller's devices, newest first. */
  list(caller: PushCaller): Promise<Device[]>
  /** One of the caller's devices, or null. */
  get(caller: PushCaller, id: string): Promise<Device | null>
  /** Deletes one of the caller's devices; false when it is not theirs (or does not exist). */
  delete(caller: PushCaller, id: string): Promise<boolean>
  /** Subscribes one of the caller's devices to a topic; `null` when the device is not theirs, else whether it was new. */
  subscribe(caller: PushCaller, id: string, topic: string): Promise<{ subscribed: boolean } | null>
  /** Unsubscribes; `null` when the device is not theirs, else whether a subscription was removed. */
  unsubscribe(caller: PushCaller, id: string, topic: string): Promise<{ unsubscribed: boolean } | null>
}

const LOCALE = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/
/** FCM registration tokens: printable ASCII, no spaces. */
const PRINTABLE = /^[\x21-\x7e]{1,4096}$/
/** APNs device tokens: hex (32 bytes today; Apple says the length may change). */
const APNS_TOKEN = /^[0-9a-fA-F]{32,400}$/

/** The zod schema of {@link RegisterDeviceInput}. */
export const registerDeviceSchema = z
  .object({
    token: z.string().min(1).max(4096),
    provider: z.enum(['fcm', 'apns', 'webpush']),
    platform: z
      .string()
      .regex(/^[a-z0-9_-]{1,32}$/, 'must be 1-32 lower-case letters, digits, _ or -')
      .optional(),
    environment: z.enum(['sandbox', 'production']).optional(),
    topic: z
      .string()
      .regex(/^[A-Za-z0-9.-]{1,255}$/, 'must be a bundle id (letters, digits, . and -)')
      .optional(),
    locale: z.string().regex(LOCALE, 'must be a BCP 47 language tag').optional(),
    app: z.string().min(1).max(100).refine(isStorableText, 'must not hold NUL or lone surrogates').optional(),
  })
  .superRefine((input, ctx) => {
    const apns = input.provider === 'apns'
    if (apns ? !APNS_TOKEN.test(input.token) : !PRINTABLE.test(input.token)) {
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: apns ? 'must be the hex APNs device token' : 'must be printable ASCII without spaces',
      })
    }
    if (!apns && input.environment !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['environment'], message: 'is for APNs devices only' })
    }
    if (!apns && input.topic !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['topic'], message: 'is for APNs devices only (the bundle id)' })
    }
  })

/** A `push.devices` row as {@link DEVICE_COLUMNS} selects it. */
export interface DeviceRow {
  id: string
  user_id: string
  app: string | null
  provider: DeviceProvider
  token: string
  platform: string | null
  environment: ApnsEnvironment | null
  topic: string | null
  locale: string | null
  topics: string[]
  created_at: Date
  updated_at: Date
  last_seen_at: Date
  disabled_at: Date | null
  disabled_reason: string | null
}

/** The columns every device read selects (`d` is `push.devices`). */
export const DEVICE_COLUMNS = `d.id::text, d.user_id::text, d.app, d.provider, d.token, d.platform, d.environment, d.topic,
  d.locale, coalesce((select array_agg(t.topic order by t.topic) from push.device_topics t where t.device_id = d.id), '{}') as topics,
  d.created_at, d.updated_at, d.last_seen_at, d.disabled_at, d.disabled_reason`

/** A device row as the API returns it. */
export function toDevice(row: DeviceRow): Device {
  return {
    id: row.id,
    userId: row.user_id,
    app: row.app,
    provider: row.provider,
    token: row.token,
    platform: row.platform,
    environment: row.environment,
    topic: row.topic,
    locale: row.locale,
    topics: row.topics,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastSeenAt: row.last_seen_at,
    disabledAt: row.disabled_at,
    disabledReason: row.disabled_reason,
  }
}

/** The caller's user id (`sub`, a UUID): device routes are for signed-in users. */
function userOf(caller: PushCaller): string {
  const sub = caller.claims?.sub
  if (typeof sub !== 'string' || !UUID.test(sub)) {
    throw pushError('PUSH_UNAUTHORIZED', 'Devices belong to a signed-in user: sign in first', {
      hint: 'Call with a user access token (a JWT whose `sub` is the user id).',
    })
  }
  return sub
}

/** `push.api.devices` on `db`. */
export function createDevicesApi(db: Database): DevicesApi {
  function asCaller<T>(caller: PushCaller, fn: (tx: Transaction, userId: string) => Promise<T>): Promise<T> {
    const userId = userOf(caller)
    return db.withClaims(caller.claims, (tx) => fn(tx, userId), {
      ...(caller.checks ? { checks: caller.checks } : {}),
      ...(caller.signal ? { signal: caller.signal } : {}),
    })
  }

  // `user_id = $1` as well as RLS: a caller whose role bypasses RLS (service_role with a `sub`)
  // still sees only their own devices here.
  async function read(tx: Transaction, userId: string, id: string): Promise<Device | null> {
    const { rows } = await tx.query<DeviceRow>(
      `select ${DEVICE_COLUMNS} from push.devices d where d.id = $2 and d.user_id = $1`,
      [userId, id],
    )
    return rows[0] ? toDevice(rows[0]) : null
  }

  return {
    register(caller, input) {
      const parsed = parseDevice(input)
      return asCaller(caller, async (tx, userId) => {
        const { rows } = await tx.query<{ device_id: string; created: boolean; moved: boolean }>(
          'select device_id::text, created, moved from push.register_device($1, $2, $3, $4, $5, $6, $7)',
          [
            parsed.provider,
            parsed.token,
            parsed.platform ?? null,
            parsed.environment ?? null,
            parsed.topic ?? null,
            parsed.locale ?? null,
            parsed.app ?? null,
          ],
        )
        const row = rows[0]
        const device = row ? await read(tx, userId, row.device_id) : null
        if (!row || !device) throw new Error('push.register_device returned no visible device')
        return { device, created: row.created, moved: row.moved }
      })
    },
    list(caller) {
      return asCaller(caller, async (tx, userId) => {
        const { rows } = await tx.query<DeviceRow>(
          `select ${DEVICE_COLUMNS} from push.devices d where d.user_id = $1 order by d.created_at desc, d.id`,
          [userId],
        )
        return rows.map(toDevice)
      })
    },
    get(caller, id) {
      if (!UUID.test(id)) return Promise.resolve(null)
      return asCaller(caller, (tx, userId) => read(tx, userId, id))
    },
    delete(caller, id) {
      if (!UUID.test(id)) return Promise.resolve(false)
      return asCaller(caller, async (tx, userId) => {
        const result = await tx.query('delete from push.devices where id = $2 and user_id = $1', [userId, id])
        return (result.rowCount ?? 0) > 0
      })
    },
    subscribe(caller, id, topic) {
      checkTopic(topic)
      if (!UUID.test(id)) return Promise.resolve(null)
      return asCaller(caller, async (tx, userId) => {
        if (!(await owns(tx, userId, id))) return null
        const result = await tx.query(
          'insert into push.device_topics (device_id, topic) values ($1, $2) on conflict do nothing',
          [id, topic],
        )
        return { subscribed: (result.rowCount ?? 0) > 0 }
      })
    },
    unsubscribe(caller, id, topic) {
      checkTopic(topic)
      if (!UUID.test(id)) return Promise.resolve(null)
      return asCaller(caller, async (tx, userId) => {
        if (!(await owns(tx, userId, id))) return null
        const result = await tx.query('delete from push.device_topics where device_id = $1 and topic = $2', [
          id,
          topic,
        ])
        return { unsubscribed: (result.rowCount ?? 0) > 0 }
      })
    },
  }
}

async function owns(tx: Transaction, userId: string, id: string): Promise<boolean> {
  const { rows } = await tx.query('select 1 from push.devices where id = $2 and user_id = $1', [userId, id])
  return rows.length > 0
}

function checkTopic(topic: string): void {
  if (typeof topic !== 'string' || !TOPIC.test(topic)) {
    throw pushError('PUSH_INVALID_DEVICE', 'Invalid topic: use 1-200 characters of A-Z a-z 0-9 _ . ~ % : -')
  }
}

/** Validates a registration (`PUSH_INVALID_DEVICE` naming the field); APNs tokens are lower-cased. */
function parseDevice(input: unknown): RegisterDeviceInput {
  const result = registerDeviceSchema.safeParse(input)
  if (!result.success) {
    const issue = result.error.issues[0]
    const field = issue?.path.map(String).join('.') || '(input)'
    throw pushError('PUSH_INVALID_DEVICE', `Invalid device: ${field} ${issue?.message ?? 'is invalid'}`, {
      details: result.error.issues
        .slice(0, 10)
        .map((i) => ({ path: i.path.map(String), message: i.message })),
    })
  }
  const device = result.data
  return device.provider === 'apns' ? { ...device, token: device.token.toLowerCase() } : device
}
