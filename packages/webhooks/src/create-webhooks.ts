import {
  type AnyTaskDefinition,
  createSecretBox,
  type GroundworkService,
  type Logger,
  type MigrationSet,
  type ServiceHandler,
} from '@groundwork/core'
import { parseOptions } from '@groundwork/core/kit'
import {
  type Delivery,
  type ListDeliveriesOptions,
  listDeliveries,
  readDelivery,
  redeliver,
  sendTest,
} from './deliveries'
import { createDispatchTask } from './dispatch-task'
import {
  type AdminContext,
  type CreatedEndpoint,
  createEndpoint,
  deleteEndpoint,
  deleteSecret,
  type Endpoint,
  type EndpointInput,
  type EndpointPatch,
  type EndpointSettings,
  type ListEndpointsOptions,
  listEndpoints,
  type NewSecret,
  type RotateSecretOptions,
  readEndpoint,
  rotateSecret,
  updateEndpoint,
} from './endpoints'
import { createWebhooksHandler } from './handler'
import { Sender } from './internal/sender'
import { migrations } from './migrations'
import { type WebhooksOptions, webhooksOptionsSchema } from './options'

/**
 * The typed programmatic surface, `webhooks.api` (trusted server code, as the connecting user);
 * the admin handler is a thin HTTP layer over it. Pass `context` to name the actor in the audit
 * log (scripts default to `system`).
 */
export interface WebhooksApi {
  /**
   * Creates an endpoint watching `table` (realtime capture is enabled on it if needed) and its
   * first secret, whose value is returned once.
   *
   * @example
   * ```ts
   * const { id, secret } = await webhooks.api.create({ url: 'https://hooks.example.com/orders', table: 'public.orders', events: ['INSERT'] })
   * ```
   */
  create(input: EndpointInput, context?: AdminContext): Promise<CreatedEndpoint>
  list(options?: ListEndpointsOptions): Promise<Endpoint[]>
  get(id: string): Promise<Endpoint | null>
  /** Changes the given fields; `enabled: true` on a disabled endpoint delivers its backlog. Null: no such endpoint. */
  update(id: string, patch: EndpointPatch, context?: AdminContext): Promise<Endpoint | null>
  delete(id: string, context?: AdminContext): Promise<boolean>
  /** Adds a secret (returned with its value); the current ones keep signing for `rotationOverlap`. */
  rotateSecret(id: string, options?: RotateSecretOptions, context?: AdminContext): Promise<NewSecret | null>
  /** Stops signing with a secret now (not the last active one). */
  deleteSecret(id: string, secretId: string, context?: AdminContext): Promise<boolean>
  /** Queues a `webhook.test` message to the endpoint. */
  test(id: string, context?: AdminContext): Promise<Delivery | null>
  /** The endpoint's deliveries, newest first; null when there is no such endpoint. */
  deliveries(id: string, options?: ListDeliveriesOptions): Promise<Delivery[] | null>
  /** One delivery with its payload. */
  delivery(id: string, deliveryId: string): Promise<Delivery | null>
  /** Queues the same message (same `webhook-id` and body) again. */
  redeliver(id: string, deliveryId: string, context?: AdminContext): Promise<Delivery | null>
}

/** What {@link createWebhooks} returns. */
export interface Webhooks extends GroundworkService<WebhooksApi> {
  readonly name: 'webhooks'
  readonly api: WebhooksApi
  /** The admin API (service role or an `admin` key). */
  readonly handler: ServiceHandler
  /** The `webhooks` MigrationSet (apply after the jobs and realtime sets). */
  readonly migrations: MigrationSet
  /** `webhooks:dispatch`: `createJobs({ db, tasks: [...webhooks.tasks] })`. */
  readonly tasks: readonly AnyTaskDefinition[]
  /** Nothing to start (delivery runs on the jobs runner). */
  start(): Promise<void>
  /** Closes the keep-alive connections to receivers. Idempotent; the `Database` stays open. */
  close(): Promise<void>
}

/**
 * Creates the webhooks service: endpoints per table × operation, changes captured in Postgres
 * from realtime's change log into a delivery outbox (writes from psql and other services count),
 * delivered as `@groundwork/jobs` jobs with Standard Webhooks signatures (`v1` HMAC-SHA256,
 * `v1a` ed25519), the spec's retry schedule, `Retry-After`, 410 disabling the endpoint, a
 * per-endpoint concurrency cap and an SSRF guard.
 *
 * @example
 * ```ts
 * const webhooks = createWebhooks({ db, authenticate, allowHosts: ['127.0.0.1'] })
 * const jobs = createJobs({ db, tasks: [...webhooks.tasks] })
 * await migrate(db, [core, jobs.migrations, realtime.migrations, webhooks.migrations])
 * await jobs.start()
 * app.use('/admin/webhooks', toNodeHandler(webhooks.handler))
 * ```
 * @see https://www.standardwebhooks.com/
 */
export function createWebhooks(options: WebhooksOptions): Webhooks {
  const resolved = parseOptions(webhooksOptionsSchema, options, 'createWebhooks')
  const db = resolved.db
  const logger: Logger = resolved.logger ?? db.logger
  const policy = { allowHosts: resolved.allowHosts, allowPrivate: resolved.allowPrivateTargets }
  const sender = new Sender(policy, resolved.requestTimeout, 256)
  const box = createSecretBox(resolved.encryptionKeys)
  const settings: EndpointSettings = { db, policy, defaultConcurrency: resolved.maxConcurrency, box }
  const dispatch = createDispatchTask({
    db,
    box,
    sender,
    logger,
    retrySchedule: resolved.retrySchedule,
    retryJitter: resolved.retryJitter,
    requestTimeout: resolved.requestTimeout,
    metrics: resolved.metrics,
  })

  const api: WebhooksApi = {
    create: (input, context) => createEndpoint(settings, input, context),
    list: (filter) => listEndpoints(settings, filter),
    get: (id) => readEndpoint(db, id),
    update: (id, patch, context) => updateEndpoint(settings, id, patch, context),
    delete: (id, context) => deleteEndpoint(settings, id, context),
    rotateSecret: (id, rotate, context) =>
      rotateSecret({ ...settings, rotationOverlapSeconds: resolved.rotationOverlap }, id, rotate, context),
    deleteSecret: (id, secretId, context) => deleteSecret(settings, id, secretId, context),
    test: (id, context) => sendTest(db, id, context),
    deliveries: (id, list) => listDeliveries(db, id, list),
    delivery: (id, deliveryId) => readDelivery(db, id, deliveryId),
    redeliver: (id, deliveryId, context) => redeliver(db, id, deliveryId, context),
  }

  const handler = createWebhooksHandler({
    api,
    authenticate: resolved.authenticate,
    serviceRole: db.roles.service,
    basePath: resolved.basePath,
    limits: { maxBytes: resolved.maxBodyBytes, maxJsonDepth: resolved.maxJsonDepth },
    cors: resolved.cors,
    onError: resolved.onError,
  })

  let closed = false
  return {
    name: 'webhooks',
    api,
    handler,
    migrations,
    tasks: [dispatch],
    start: () => Promise.resolve(),
    close() {
      if (!closed) {
        closed = true
        sender.close()
      }
      return Promise.resolve()
    },
  }
}
