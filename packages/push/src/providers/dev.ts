import { apnsNotification } from './apns-notification'
import { fcmMessage } from './fcm-message'
import type { DeliveryResult, PushProvider } from './provider'

const INSERT_SQL = `insert into push.dev_outbox (notification_id, device_id, user_id, provider, token, platform, payload)
  values ($1, $2, $3, $4, $5, $6, $7) returning id::text`

/** The dev provider: `handles` every device kind. */
export interface DevProvider extends PushProvider {
  readonly name: 'dev'
}

/**
 * The development provider: nothing leaves the machine. Each delivery is recorded in
 * `push.dev_outbox` with the exact payload the real provider would have sent (FCM's `Message`,
 * or APNs' headers and JSON payload), and shown by `push.api.dev` and the dev page
 * (`push.devHandler`) — Groundwork's counterpart of the dev mailbox. Every delivery succeeds.
 *
 * @example
 * ```ts
 * const push = createPush({ db, providers: [devProvider()], authenticate, devPage: true })
 * ```
 */
export function devProvider(): DevProvider {
  return {
    name: 'dev',
    handles: ['fcm', 'apns', 'webpush'],
    async send(device, message, context): Promise<DeliveryResult> {
      let payload: unknown
      if (device.provider === 'apns') {
        const notification = apnsNotification(device.token, message, device.topic ?? undefined)
        payload = {
          environment: device.environment ?? 'production',
          headers: {
            'apns-push-type': notification.pushType,
            'apns-priority': String(notification.priority),
            ...(device.topic ? { 'apns-topic': device.topic } : {}),
            ...(message.collapseKey ? { 'apns-collapse-id': message.collapseKey } : {}),
          },
          payload: notification.buildApnsOptions(),
        }
      } else {
        payload = { message: { token: device.token, ...fcmMessage(message) } }
      }
      const { rows } = await context.db.query(INSERT_SQL, [
        message.id,
        device.id,
        device.userId,
        device.provider,
        device.token,
        device.platform,
        JSON.stringify(payload),
      ])
      return { outcome: 'sent', providerMessageId: `dev:${rows[0]?.id}` }
    },
  }
}
