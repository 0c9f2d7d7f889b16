export type { ListDevicesOptions, Push, PushAdminApi, PushApi } from './create-push'
export { createPush } from './create-push'
export type { DevOutboxApi, DevPush, ListDevPushesOptions } from './dev-outbox'
export type { Device, DevicesApi, PushCaller, RegisterDeviceInput, RegisteredDevice } from './devices'
export type { PushErrorCode } from './errors'
export { PUSH_ERROR_STATUS, PushError } from './errors'
export { DELIVER_TASK, FANOUT_TASK } from './fanout-task'
export { PUSH_SEND_SCOPE } from './handler'
export type { SendInput, SendTarget } from './message'
export { MAX_RECIPIENT_IDS, MAX_TTL_SECONDS } from './message'
export { migrations } from './migrations'
export type {
  DeliveryRecord,
  DeliveryStatus,
  NotificationQuery,
  NotificationStatus,
  SendReceipt,
} from './notifications'
export type { PushOptions, ResolvedPushOptions } from './options'
export type { ApnsProvider, ApnsProviderOptions } from './providers/apns'
export { apnsProvider } from './providers/apns'
export { APNS_MAX_PAYLOAD_BYTES, APNS_MAX_VOIP_PAYLOAD_BYTES } from './providers/apns-notification'
export type { DevProvider } from './providers/dev'
export { devProvider } from './providers/dev'
export type { FcmProvider, FcmProviderOptions, ServiceAccount } from './providers/fcm'
export { FCM_SCOPE, fcmProvider, GOOGLE_TOKEN_URL } from './providers/fcm'
export { FCM_MAX_PAYLOAD_BYTES } from './providers/fcm-message'
export type {
  ApnsEnvironment,
  ApnsOverrides,
  DeliveryResult,
  DeviceProvider,
  FcmOverrides,
  NotificationContent,
  ProviderContext,
  PushDevice,
  PushMessage,
  PushProvider,
} from './providers/provider'
export { DISABLE_STALE_TASK, STALE_DEVICES_SCHEDULE } from './stale-task'
