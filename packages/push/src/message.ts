import { z } from 'zod'
import { pushError } from './errors'
import { unstorablePath } from './internal/storable'
import {
  APNS_MAX_COLLAPSE_ID_BYTES,
  APNS_MAX_PAYLOAD_BYTES,
  APNS_MAX_VOIP_PAYLOAD_BYTES,
  apnsPayloadBytes,
  apnsPushType,
} from './providers/apns-notification'
import { FCM_MAX_PAYLOAD_BYTES, fcmPayloadBytes, isReservedFcmDataKey } from './providers/fcm-message'
import type { ApnsOverrides, FcmOverrides, NotificationContent, PushMessage } from './providers/provider'

/** A UUID (any version), as Postgres prints it. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** A topic name: FCM's topic alphabet plus `:`. */
export const TOPIC = /^[A-Za-z0-9_.~%:-]{1,200}$/
/** FCM's and APNs' longest TTL: 28 days. */
export const MAX_TTL_SECONDS = 2_419_200
/** Most user or device ids one `send` may name (send to a topic for more). */
export const MAX_RECIPIENT_IDS = 1000

/** Who a notification goes to: the union of every device of `userIds`, of `deviceIds`, and subscribed to `topic`. */
export interface SendTarget {
  userIds?: string[] | undefined
  deviceIds?: string[] | undefined
  topic?: string | undefined
}

/** Input of `push.api.send`. */
export interface SendInput {
  /** Recipients (at least one of the three); disabled devices are skipped. */
  to: SendTarget
  notification?: NotificationContent | undefined
  /** String keys and values delivered to the app. */
  data?: Record<string, string> | undefined
  apns?: ApnsOverrides | undefined
  fcm?: FcmOverrides | undefined
  /** At most 64 bytes. */
  collapseKey?: string | undefined
  /** 0 to 2419200 (28 days). @default the provider's (4 weeks) */
  ttlSeconds?: number | undefined
  /** @default 'high' */
  priority?: 'high' | 'normal' | undefined
}

const uuid = z.string().regex(UUID, 'must be a UUID')
const record = z.record(z.string(), z.unknown())
const PUSH_TYPES = [
  'alert',
  'background',
  'voip',
  'complication',
  'fileprovider',
  'mdm',
  'location',
  'liveactivity',
  'pushtotalk',
] as const

/** The zod schema of {@link SendInput} (camelCase: `push.api.send`). */
export const sendInputSchema = z.object({
  to: z.object({
    userIds: z.array(uuid).max(MAX_RECIPIENT_IDS).optional(),
    deviceIds: z.array(uuid).max(MAX_RECIPIENT_IDS).optional(),
    topic: z.string().regex(TOPIC, 'must be 1-200 characters of A-Z a-z 0-9 _ . ~ % : -').optional(),
  }),
  notification: z
    .object({
      title: z.string().max(1024),
      body: z.string().max(4096),
      image: z
        .url({ protocol: /^https$/, error: 'must be an https URL' })
        .max(2048)
        .optional(),
    })
    .optional(),
  data: z.record(z.string().min(1).max(256), z.string()).optional(),
  apns: z
    .object({
      badge: z.number().int().min(0).max(2_147_483_647).optional(),
      sound: z.string().min(1).max(256).optional(),
      category: z.string().min(1).max(256).optional(),
      threadId: z.string().min(1).max(256).optional(),
      mutableContent: z.boolean().optional(),
      contentAvailable: z.boolean().optional(),
      pushType: z.enum(PUSH_TYPES).optional(),
      aps: record.optional(),
    })
    .optional(),
  fcm: z
    .object({
      android: record.optional(),
      apns: record.optional(),
      webpush: record.optional(),
      fcmOptions: record.optional(),
    })
    .optional(),
  collapseKey: z.string().min(1).max(APNS_MAX_COLLAPSE_ID_BYTES).optional(),
  ttlSeconds: z.number().int().min(0).max(MAX_TTL_SECONDS).optional(),
  priority: z.enum(['high', 'normal']).optional(),
})

/** A send, validated: the stored target and the message every device gets. */
export interface ParsedSend {
  target: { userIds: string[]; deviceIds: string[]; topic: string | null }
  message: Omit<PushMessage, 'id'>
}

/**
 * Validates a send: shape (`PUSH_INVALID_MESSAGE` naming the field), recipients, data keys the
 * providers reserve, and the payload against both providers' limits (`PUSH_PAYLOAD_TOO_LARGE`),
 * so a message no provider would take is refused here rather than failing on every device.
 */
export function parseSend(input: unknown): ParsedSend {
  const result = sendInputSchema.safeParse(input)
  if (!result.success) {
    const issue = result.error.issues[0]
    const field = issue?.path.map(String).join('.') || '(input)'
    throw pushError('PUSH_INVALID_MESSAGE', `Invalid message: ${field} ${issue?.message ?? 'is invalid'}`, {
      details: result.error.issues
        .slice(0, 10)
        .map((i) => ({ path: i.path.map(String), message: i.message })),
    })
  }
  const parsed = result.data
  const target = {
    userIds: [...new Set(parsed.to.userIds?.map((id) => id.toLowerCase()) ?? [])],
    deviceIds: [...new Set(parsed.to.deviceIds?.map((id) => id.toLowerCase()) ?? [])],
    topic: parsed.to.topic ?? null,
  }
  if (target.userIds.length === 0 && target.deviceIds.length === 0 && target.topic === null) {
    throw pushError('PUSH_INVALID_MESSAGE', 'Invalid message: to names no recipient', {
      hint: 'Pass to.userIds, to.deviceIds or to.topic.',
    })
  }
  const data = parsed.data
  for (const key of Object.keys(data ?? {})) {
    if (isReservedFcmDataKey(key) || key === 'aps') {
      throw pushError('PUSH_INVALID_MESSAGE', `Invalid message: data.${key} is a reserved key`, {
        hint: 'FCM reserves from, notification, message_type and keys starting with google or gcm; APNs reserves aps.',
      })
    }
  }
  const message: Omit<PushMessage, 'id'> = {
    ...(parsed.notification ? { notification: parsed.notification } : {}),
    ...(data && Object.keys(data).length > 0 ? { data } : {}),
    ...(parsed.apns ? { apns: parsed.apns } : {}),
    ...(parsed.fcm ? { fcm: parsed.fcm } : {}),
    ...(parsed.collapseKey !== undefined ? { collapseKey: parsed.collapseKey } : {}),
    ...(parsed.ttlSeconds !== undefined ? { ttlSeconds: parsed.ttlSeconds } : {}),
    ...(parsed.priority !== undefined ? { priority: parsed.priority } : {}),
  }
  const unstorable = unstorablePath(message)
  if (unstorable) {
    throw pushError(
      'PUSH_INVALID_MESSAGE',
      `Invalid message: ${unstorable} holds a NUL character or a lone surrogate`,
    )
  }
  if (!message.notification && !message.data && !message.apns && !message.fcm) {
    throw pushError('PUSH_INVALID_MESSAGE', 'Invalid message: nothing to send', {
      hint: 'Pass a notification, data, or provider fields (apns.contentAvailable for a background push).',
    })
  }
  if (message.collapseKey !== undefined && byteLength(message.collapseKey) > APNS_MAX_COLLAPSE_ID_BYTES) {
    throw pushError(
      'PUSH_INVALID_MESSAGE',
      `Invalid message: collapseKey is over ${APNS_MAX_COLLAPSE_ID_BYTES} bytes`,
    )
  }
  checkSizes({ id: '', ...message })
  return { target, message }
}

function checkSizes(message: PushMessage): void {
  const fcm = fcmPayloadBytes(message)
  if (fcm > FCM_MAX_PAYLOAD_BYTES) {
    throw pushError(
      'PUSH_PAYLOAD_TOO_LARGE',
      `The notification and data are ${fcm} bytes; FCM takes at most ${FCM_MAX_PAYLOAD_BYTES}`,
      { details: { provider: 'fcm', bytes: fcm, limit: FCM_MAX_PAYLOAD_BYTES } },
    )
  }
  const limit = apnsPushType(message) === 'voip' ? APNS_MAX_VOIP_PAYLOAD_BYTES : APNS_MAX_PAYLOAD_BYTES
  const apns = apnsPayloadBytes(message)
  if (apns > limit) {
    throw pushError(
      'PUSH_PAYLOAD_TOO_LARGE',
      `The APNs payload is ${apns} bytes; APNs takes at most ${limit}`,
      {
        details: { provider: 'apns', bytes: apns, limit },
      },
    )
  }
}

function byteLength(text: string): number {
  return new TextEncoder().encode(text).byteLength
}
