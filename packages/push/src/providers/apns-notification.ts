import { Notification, type NotificationOptions, Priority, type PushType } from 'apns2'
import type { PushMessage } from './provider'

/**
 * APNs' payload limit: 4096 bytes (5120 for VoIP pushes), checked before sending.
 * @see https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns
 */
export const APNS_MAX_PAYLOAD_BYTES = 4096
/** The VoIP push limit. */
export const APNS_MAX_VOIP_PAYLOAD_BYTES = 5120
/** `apns-collapse-id` may not exceed 64 bytes. */
export const APNS_MAX_COLLAPSE_ID_BYTES = 64

/** The `apns-push-type` a message is sent with: as given, else `alert` with a notification and `background` without. */
export function apnsPushType(message: PushMessage): PushType {
  return message.apns?.pushType ?? (message.notification ? 'alert' : 'background')
}

/**
 * The apns2 `Notification` for `message` to `token`: alert from the notification, `data` as
 * top-level keys, `apns` fields in `aps`, `apns-priority` 5 for background pushes (APNs refuses
 * 10 there) and for `priority: 'normal'`, `apns-expiration` from the TTL, `apns-collapse-id`.
 *
 * @see https://developer.apple.com/documentation/usernotifications/generating-a-remote-notification
 */
export function apnsNotification(
  token: string,
  message: PushMessage,
  topic: string | undefined,
  now = Date.now(),
): Notification {
  const { notification, apns } = message
  const type = apnsPushType(message)
  const data: Record<string, unknown> = { ...message.data }
  if (notification?.image) data.image = notification.image
  const options: NotificationOptions = {
    type,
    // buildApnsOptions() writes into `aps`: a fresh object per device.
    aps: { ...apns?.aps },
    data,
    priority:
      type === 'background' || message.priority === 'normal' ? Priority.throttled : Priority.immediate,
  }
  if (topic !== undefined) options.topic = topic
  if (notification) options.alert = { title: notification.title, body: notification.body }
  if (notification?.image || apns?.mutableContent !== undefined) {
    options.mutableContent = apns?.mutableContent ?? true
  }
  const contentAvailable = apns?.contentAvailable ?? (type === 'background' ? true : undefined)
  if (contentAvailable !== undefined) options.contentAvailable = contentAvailable
  if (apns?.badge !== undefined) options.badge = apns.badge
  if (apns?.sound !== undefined) options.sound = apns.sound
  if (apns?.category !== undefined) options.category = apns.category
  if (apns?.threadId !== undefined) options.threadId = apns.threadId
  if (message.collapseKey !== undefined) options.collapseId = message.collapseKey
  if (message.ttlSeconds !== undefined) {
    options.expiration = message.ttlSeconds === 0 ? 0 : Math.floor(now / 1000) + message.ttlSeconds
  }
  return new Notification(token, options)
}

/** The JSON payload's size in bytes, as APNs counts it. */
export function apnsPayloadBytes(message: PushMessage): number {
  const payload = apnsNotification('0', message, undefined).buildApnsOptions()
  return new TextEncoder().encode(JSON.stringify(payload)).byteLength
}
