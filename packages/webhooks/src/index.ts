export type { Webhooks, WebhooksApi } from './create-webhooks'
export { createWebhooks } from './create-webhooks'
export type { Delivery, DeliveryStatus, ListDeliveriesOptions } from './deliveries'
export type { DeliveryMetrics } from './dispatch-task'
export { DISPATCH_TASK } from './dispatch-task'
export type {
  AdminContext,
  CreatedEndpoint,
  Endpoint,
  EndpointInput,
  EndpointPatch,
  ListEndpointsOptions,
  NewSecret,
  RotateSecretOptions,
  SecretInfo,
  SecretType,
  WebhookEvent,
} from './endpoints'
export type { WebhooksErrorCode } from './errors'
export { WEBHOOKS_ERROR_STATUS, WebhooksError } from './errors'
export { migrations } from './migrations'
export type { ResolvedWebhooksOptions, WebhooksOptions } from './options'
export { MAX_RETRY_AFTER_MS, STANDARD_RETRY_SCHEDULE } from './schedule'
export { webhooksSealedColumns } from './sealed-columns'
export type { SigningSecret } from './signing'
export { publicKeyOf, signatureHeader } from './signing'
