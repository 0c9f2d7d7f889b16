/**
 * `@groundwork/client/push`: the signed-in user's push devices at `/push/v1` — register the token
 * FCM or APNs gave the app, list and remove devices, subscribe them to topics. Sending is for
 * servers (the service role or a `push:send` key), not for this module.
 *
 * @see https://github.com/groundwork/groundwork/blob/main/docs/push.md
 */
import type { GroundworkConnection } from './connection'
import { type ClientResult, callJson } from './errors'

/** A device as `/push/v1/devices` answers it. */
export interface PushDevice {
  id: string
  user_id: string
  app: string | null
  provider: 'fcm' | 'apns' | 'webpush'
  token: string
  platform: string | null
  environment: string | null
  topic: string | null
  locale: string | null
  topics: string[]
  created_at: string
  updated_at: string
  last_seen_at: string | null
  disabled_at: string | null
  disabled_reason: string | null
}

/** What {@link PushClient.register} sends. */
export interface RegisterDeviceInput {
  /** The registration token (FCM) or device token (APNs). */
  token: string
  /** Which service issued the token. */
  provider: 'fcm' | 'apns' | 'webpush'
  /** e.g. `ios`, `android`, `web`. */
  platform?: string
  /** APNs: `production` or `sandbox`. */
  environment?: string
  /** APNs topic (the bundle id) when the server serves several apps. */
  topic?: string
  /** BCP 47 language tag, for localised notifications. */
  locale?: string
  /** Which of your apps the device belongs to. */
  app?: string
}

/** What {@link createPushClient} returns. */
export interface PushClient {
  /** Registers (or refreshes) a device of the signed-in user: the same token again updates it. */
  register(input: RegisterDeviceInput): Promise<ClientResult<PushDevice>>
  /** The signed-in user's devices. */
  list(): Promise<ClientResult<PushDevice[]>>
  get(id: string): Promise<ClientResult<PushDevice>>
  /** Removes a device (e.g. on sign-out). */
  remove(id: string): Promise<ClientResult<null>>
  /** Subscribes a device to a topic (`send({ to: { topic } })` then reaches it). */
  subscribe(id: string, topic: string): Promise<ClientResult<{ device_id: string; topic: string }>>
  unsubscribe(id: string, topic: string): Promise<ClientResult<null>>
}

/**
 * Creates the push client.
 *
 * @example
 * ```ts
 * const push = createPushClient(connection)
 * const { data: device, error } = await push.register({ token: fcmToken, provider: 'fcm', platform: 'android' })
 * await push.subscribe(device!.id, 'news')
 * ```
 */
export function createPushClient(connection: GroundworkConnection): PushClient {
  const url = (path: string) => `${connection.serviceUrl('push')}${path}`
  const segment = encodeURIComponent
  return {
    register: (input) => callJson(connection.fetch, url('/devices'), { method: 'POST', body: input }),
    async list() {
      const result = await callJson<{ items: PushDevice[] }>(connection.fetch, url('/devices'), {
        method: 'GET',
      })
      return result.error ? result : { data: result.data.items, error: null }
    },
    get: (id) => callJson(connection.fetch, url(`/devices/${segment(id)}`), { method: 'GET' }),
    remove: (id) => callJson(connection.fetch, url(`/devices/${segment(id)}`), { method: 'DELETE' }),
    subscribe: (id, topic) =>
      callJson(connection.fetch, url(`/devices/${segment(id)}/topics/${segment(topic)}`), { method: 'POST' }),
    unsubscribe: (id, topic) =>
      callJson(connection.fetch, url(`/devices/${segment(id)}/topics/${segment(topic)}`), {
        method: 'DELETE',
      }),
  }
}
