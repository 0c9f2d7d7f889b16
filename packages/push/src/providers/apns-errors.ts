import type { DeliveryResult } from './provider'

/** What an APNs answer means for one device, before the environment check of `BadDeviceToken`. */
export type ApnsVerdict = DeliveryResult['outcome'] | 'check-environment'

/**
 * Classifies an APNs error answer (`:status` and the body's `reason`):
 *
 * - 410 `Unregistered` → prune (the token is no longer active for the topic);
 * - 400 `BadDeviceToken` → check the environment first: a development build's token sent to the
 *   production gateway (or the reverse) gets the same answer, so the token is tried on the other
 *   gateway before the device is pruned;
 * - 429 `TooManyRequests`, 500 `InternalServerError`, 503 `ServiceUnavailable`/`Shutdown`,
 *   `IdleTimeout`, 403 `ExpiredProviderToken` (a fresh provider token is signed) and
 *   429 `TooManyProviderTokenUpdates` → retry;
 * - everything else (`PayloadTooLarge`, `BadTopic`, `DeviceTokenNotForTopic`, `TopicDisallowed`,
 *   `BadCollapseId`, `InvalidProviderToken`, …) → the delivery fails, the device stays.
 *
 * @see https://developer.apple.com/documentation/usernotifications/handling-notification-responses-from-apns
 */
export function classifyApnsError(status: number, reason: string): ApnsVerdict {
  if (status === 410 || reason === 'Unregistered') return 'prune'
  if (reason === 'BadDeviceToken') return 'check-environment'
  if (
    status === 429 ||
    status === 500 ||
    status === 503 ||
    reason === 'ExpiredProviderToken' ||
    reason === 'IdleTimeout' ||
    reason === 'InternalServerError' ||
    reason === 'ServiceUnavailable' ||
    reason === 'Shutdown'
  ) {
    return 'retry'
  }
  return 'failed'
}
