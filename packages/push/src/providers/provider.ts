import type { Queryable } from '@groundwork/jobs'

/** Which push service a device token belongs to. */
export type DeviceProvider = 'fcm' | 'apns' | 'webpush'

/** An APNs gateway: development builds get sandbox tokens, App Store/TestFlight builds production ones. */
export type ApnsEnvironment = 'sandbox' | 'production'

/** A registered device, as a provider receives it. */
export interface PushDevice {
  id: string
  userId: string
  provider: DeviceProvider
  token: string
  platform: string | null
  /** APNs only. */
  environment: ApnsEnvironment | null
  /** APNs only: the bundle id the token was issued for; null: the provider's default topic. */
  topic: string | null
  locale: string | null
  app: string | null
}

/** The visible part of a notification. */
export interface NotificationContent {
  title: string
  body: string
  /** An HTTPS image URL (FCM `notification.image`; APNs: `image` key with `mutable-content: 1` for a service extension). */
  image?: string | undefined
}

/** APNs-specific fields (`aps` dictionary and headers). */
export interface ApnsOverrides {
  badge?: number | undefined
  sound?: string | undefined
  category?: string | undefined
  threadId?: string | undefined
  mutableContent?: boolean | undefined
  contentAvailable?: boolean | undefined
  /** `apns-push-type`. @default 'alert' with a notification, 'background' without one */
  pushType?:
    | 'alert'
    | 'background'
    | 'voip'
    | 'complication'
    | 'fileprovider'
    | 'mdm'
    | 'location'
    | 'liveactivity'
    | 'pushtotalk'
    | undefined
  /** Extra keys of the `aps` dictionary (`interruption-level`, `relevance-score`, …). */
  aps?: Record<string, unknown> | undefined
}

/** FCM-specific fields: Google's own `Message` objects (snake_case, as the v1 API takes them), merged into the message. */
export interface FcmOverrides {
  android?: Record<string, unknown> | undefined
  apns?: Record<string, unknown> | undefined
  webpush?: Record<string, unknown> | undefined
  fcmOptions?: Record<string, unknown> | undefined
}

/** What is sent to every device of a notification (validated and size-checked at `send()`). */
export interface PushMessage {
  /** The notification's id (`push.notifications`). */
  id: string
  notification?: NotificationContent | undefined
  /** String keys and values (FCM `data`; top-level keys of the APNs payload). */
  data?: Record<string, string> | undefined
  apns?: ApnsOverrides | undefined
  fcm?: FcmOverrides | undefined
  /** Replaces an undelivered earlier notification with the same key (FCM `collapse_key`, `apns-collapse-id`). */
  collapseKey?: string | undefined
  /** How long the provider keeps trying a device that is offline (0: now or never). */
  ttlSeconds?: number | undefined
  /** `high` wakes the device (FCM HIGH, APNs 10); `normal` may be batched (FCM NORMAL, APNs 5). */
  priority?: 'high' | 'normal' | undefined
}

/** What a provider gets besides the device and the message. */
export interface ProviderContext {
  /** The push service's database (the dev provider writes there). */
  db: Queryable
  /** Aborted when the jobs runner stops past its drain timeout. */
  signal?: AbortSignal | undefined
}

/**
 * How one delivery ended, decided by the provider from the service's own answer:
 *
 * - `sent` — accepted (FCM 200 with a message name, APNs 200);
 * - `retry` — worth trying again later (429, 500, 503, timeouts, a dropped connection); `retryAfterMs` from `Retry-After`;
 * - `prune` — the provider said definitively that the token is dead: the device is disabled;
 * - `failed` — this message cannot be delivered to this device, but the device stays (a payload error, a misconfiguration).
 */
export type DeliveryResult =
  | {
      outcome: 'sent'
      /** FCM's message name (`projects/…/messages/…`) or APNs' `apns-id`. */
      providerMessageId?: string | undefined
      /** APNs: the device's token turned out to belong to this environment; the device is updated. */
      environment?: ApnsEnvironment | undefined
    }
  | {
      outcome: 'retry'
      code: string
      message: string
      status?: number | undefined
      retryAfterMs?: number | undefined
    }
  | { outcome: 'prune'; code: string; message: string; status?: number | undefined }
  | { outcome: 'failed'; code: string; message: string; status?: number | undefined }

/**
 * Delivers a message to one device of the kinds it `handles`, like a mail transport. `send`
 * answers with a {@link DeliveryResult} rather than throwing for anything the push service said;
 * a throw is treated as `retry`. Make `send` safe to repeat: deliveries are at least once.
 *
 * @example
 * ```ts
 * const logOnly: PushProvider = {
 *   name: 'log',
 *   handles: ['fcm', 'apns'],
 *   async send(device, message) {
 *     console.log(device.token, message.notification?.title)
 *     return { outcome: 'sent' }
 *   },
 * }
 * ```
 */
export interface PushProvider {
  /** Shown in logs and recorded on each delivery. */
  readonly name: string
  /** The device kinds it delivers to; each kind is served by one provider. */
  readonly handles: readonly DeviceProvider[]
  send(device: PushDevice, message: PushMessage, context: ProviderContext): Promise<DeliveryResult>
  /** Releases connections (called by `push.close()`). */
  close?(): Promise<void> | void
}
