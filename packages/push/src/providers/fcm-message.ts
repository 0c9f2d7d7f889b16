import type { PushMessage } from './provider'

/**
 * FCM's payload limit: 4096 bytes for a message to tokens, counting data keys and values (and the
 * notification's text). Checked before sending so the error reaches the caller.
 * @see https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode (INVALID_ARGUMENT: "Message too big")
 */
export const FCM_MAX_PAYLOAD_BYTES = 4096

/** Data keys FCM refuses (reserved words and prefixes). @see https://firebase.google.com/docs/cloud-messaging/concept-options#data_messages */
export function isReservedFcmDataKey(key: string): boolean {
  return key === 'from' || key === 'notification' || key === 'message_type' || /^(google|gcm)/i.test(key)
}

const encoder = new TextEncoder()
const bytes = (text: string) => encoder.encode(text).byteLength

/** The bytes FCM counts against {@link FCM_MAX_PAYLOAD_BYTES}: data keys and values, title, body, image. */
export function fcmPayloadBytes(message: Pick<PushMessage, 'data' | 'notification'>): number {
  let total = 0
  for (const [key, value] of Object.entries(message.data ?? {})) total += bytes(key) + bytes(value)
  const n = message.notification
  if (n) total += bytes(n.title) + bytes(n.body) + bytes(n.image ?? '')
  return total
}

/**
 * The FCM HTTP v1 `Message` for `message`, without its `token`: `notification`, `data`, and the
 * platform blocks carrying collapse key, priority and TTL (`android`, `apns` headers, `webpush`
 * headers), with the caller's `fcm` overrides merged over them.
 *
 * @see https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages#Message
 */
export function fcmMessage(message: PushMessage, now = Date.now()): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const { notification, data, collapseKey, ttlSeconds, priority, fcm } = message
  if (notification) {
    out.notification = {
      title: notification.title,
      body: notification.body,
      ...(notification.image ? { image: notification.image } : {}),
    }
  }
  if (data && Object.keys(data).length > 0) out.data = data

  const android: Record<string, unknown> = {}
  if (collapseKey !== undefined) android.collapse_key = collapseKey
  if (priority !== undefined) android.priority = priority === 'high' ? 'HIGH' : 'NORMAL'
  if (ttlSeconds !== undefined) android.ttl = `${ttlSeconds}s`

  const apnsHeaders: Record<string, string> = {}
  if (collapseKey !== undefined) apnsHeaders['apns-collapse-id'] = collapseKey
  if (priority !== undefined) apnsHeaders['apns-priority'] = priority === 'high' ? '10' : '5'
  if (ttlSeconds !== undefined) {
    apnsHeaders['apns-expiration'] = ttlSeconds === 0 ? '0' : String(Math.floor(now / 1000) + ttlSeconds)
  }

  const webpushHeaders: Record<string, string> = {}
  if (ttlSeconds !== undefined) webpushHeaders.TTL = String(ttlSeconds)
  if (priority !== undefined) webpushHeaders.Urgency = priority

  const merged = {
    android: merge(android, fcm?.android),
    apns: merge(Object.keys(apnsHeaders).length ? { headers: apnsHeaders } : {}, fcm?.apns),
    webpush: merge(Object.keys(webpushHeaders).length ? { headers: webpushHeaders } : {}, fcm?.webpush),
    fcm_options: fcm?.fcmOptions,
  }
  for (const [key, value] of Object.entries(merged)) {
    if (value !== undefined && Object.keys(value).length > 0) out[key] = value
  }
  return out
}

/** `base` with `extra` over it, one level deep for object values (`headers`, `notification`). */
function merge(base: Record<string, unknown>, extra: Record<string, unknown> | undefined) {
  if (!extra) return base
  const out: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key]
    out[key] = isPlainObject(current) && isPlainObject(value) ? { ...current, ...value } : value
  }
  return out
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
