import {
  type Authenticate,
  canAdminister,
  clientAddress,
  type OnError,
  type Principal,
} from '@groundwork/core'
import {
  type BodyLimits,
  createCors,
  json,
  readValidated,
  type ServedRoute,
  serveRoutes,
} from '@groundwork/core/kit'
import { z } from 'zod'
import type { WebhooksApi } from './create-webhooks'
import type { Delivery, DeliveryStatus } from './deliveries'
import type { AdminContext, Endpoint, NewSecret, SecretInfo } from './endpoints'
import { webhooksError } from './errors'

/** Settings of {@link createWebhooksHandler}. */
export interface WebhooksHandlerSettings {
  api: WebhooksApi
  authenticate?: Authenticate | undefined
  serviceRole: string
  basePath: string
  limits: BodyLimits
  cors: boolean | readonly string[]
  onError?: OnError | undefined
}

const event = z.string().max(10)
const createBody = z.strictObject({
  url: z.string().max(2048),
  table: z.string().max(200),
  events: z.array(event).max(3).optional(),
  filter: z.string().max(2000).nullable().optional(),
  headers: z.record(z.string().max(100), z.string().max(4096)).optional(),
  enabled: z.boolean().optional(),
  description: z.string().max(1000).nullable().optional(),
  ordered: z.boolean().optional(),
  max_concurrency: z.number().int().min(1).max(1000).optional(),
  secret_type: z.enum(['v1', 'v1a']).optional(),
})
const patchBody = createBody.omit({ secret_type: true }).partial()
const rotateBody = z.strictObject({
  type: z.enum(['v1', 'v1a']).optional(),
  previous_expires_in: z.number().int().min(0).max(31_536_000).nullable().optional(),
})

function secretJson(secret: SecretInfo) {
  return {
    id: secret.id,
    type: secret.type,
    public_key: secret.publicKey,
    created_at: secret.createdAt,
    expires_at: secret.expiresAt,
  }
}

function newSecretJson(secret: NewSecret) {
  return { ...secretJson(secret), secret: secret.secret }
}

/** An endpoint as JSON (snake_case). */
export function endpointJson(endpoint: Endpoint) {
  return {
    id: endpoint.id,
    url: endpoint.url,
    table: endpoint.table,
    events: endpoint.events,
    filter: endpoint.filter,
    headers: endpoint.headers,
    description: endpoint.description,
    ordered: endpoint.ordered,
    max_concurrency: endpoint.maxConcurrency,
    enabled: endpoint.enabled,
    disabled_reason: endpoint.disabledReason,
    disabled_at: endpoint.disabledAt,
    created_at: endpoint.createdAt,
    updated_at: endpoint.updatedAt,
    secrets: endpoint.secrets.map(secretJson),
  }
}

/** A delivery as JSON (snake_case). */
export function deliveryJson(delivery: Delivery) {
  return {
    id: delivery.id,
    endpoint_id: delivery.endpointId,
    event_id: delivery.eventId,
    event_type: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    response_status: delivery.responseStatus,
    response_body: delivery.responseBody,
    last_error: delivery.lastError,
    next_attempt_at: delivery.nextAttemptAt,
    created_at: delivery.createdAt,
    updated_at: delivery.updatedAt,
    delivered_at: delivery.deliveredAt,
    ...(delivery.payload === undefined ? {} : { payload: delivery.payload }),
  }
}

function intParam(url: URL, name: string, max: number): number | undefined {
  const value = url.searchParams.get(name)
  if (value === null) return undefined
  if (!/^\d{1,7}$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw webhooksError('WEBHOOKS_INVALID_REQUEST', `\`${name}\` must be an integer from 1 to ${max}`)
  }
  return Number(value)
}

function endpointNotFound(id: string) {
  return webhooksError('WEBHOOKS_NOT_FOUND', `No webhook endpoint "${id.slice(0, 100)}"`)
}

/**
 * The webhooks admin handler (Web `Request` → `Response`), a thin layer over `webhooks.api`,
 * relative to its mount point (`/admin/webhooks` in the demo). Every route needs the service
 * role or an `admin` key. JSON in snake_case:
 *
 * - `POST /` → 201 endpoint with `secret`; `GET /` → `{ items }`; `GET|PATCH|DELETE /:id`;
 * - `POST /:id/secrets` → 201 new secret (rotation); `DELETE /:id/secrets/:secret_id` → 204;
 * - `POST /:id/test` → 202 delivery; `GET /:id/deliveries[?status&before&limit]` → `{ items }`
 *   newest first; `GET /:id/deliveries/:delivery_id` (with payload);
 *   `POST /:id/deliveries/:delivery_id/redeliver` → 202 new delivery.
 *
 * Errors are `{ code, message, details?, hint? }` with the code's status.
 */
export function createWebhooksHandler(
  settings: WebhooksHandlerSettings,
): (request: Request) => Promise<Response> {
  const { api, limits } = settings

  async function admin(request: Request): Promise<AdminContext> {
    if (!settings.authenticate) {
      throw webhooksError(
        'WEBHOOKS_FORBIDDEN',
        'The webhooks admin API is disabled: pass `authenticate` to createWebhooks()',
      )
    }
    const principal: Principal = await settings.authenticate(request)
    if (!canAdminister(principal, settings.serviceRole)) {
      if (principal.kind === 'anonymous') {
        throw webhooksError(
          'WEBHOOKS_UNAUTHORIZED',
          'The webhooks admin API needs the service-role key or an admin key',
        )
      }
      throw webhooksError(
        'WEBHOOKS_FORBIDDEN',
        'The webhooks admin API needs the service role or an admin key',
      )
    }
    return { actor: principal, ipAddress: clientAddress(request) ?? undefined }
  }

  const routes: ServedRoute<AdminContext>[] = [
    {
      method: 'POST',
      path: '/',
      handler: async ({ request, context }) => {
        const body = await readValidated(request, createBody, limits)
        const created = await api.create(
          {
            url: body.url,
            table: body.table,
            events: body.events as never,
            filter: body.filter,
            headers: body.headers,
            enabled: body.enabled,
            description: body.description,
            ordered: body.ordered,
            maxConcurrency: body.max_concurrency,
            secretType: body.secret_type,
          },
          context,
        )
        return json({ ...endpointJson(created), secret: newSecretJson(created.secret) }, 201)
      },
    },
    {
      method: 'GET',
      path: '/',
      handler: async ({ url }) => {
        const table = url.searchParams.get('table') ?? undefined
        const items = await api.list({ table, limit: intParam(url, 'limit', 1000) })
        return { items: items.map(endpointJson) }
      },
    },
    {
      method: 'GET',
      path: '/:id',
      handler: async ({ params }) => {
        const endpoint = await api.get(params.id as string)
        if (!endpoint) throw endpointNotFound(params.id as string)
        return endpointJson(endpoint)
      },
    },
    {
      method: 'PATCH',
      path: '/:id',
      handler: async ({ request, params, context }) => {
        const body = await readValidated(request, patchBody, limits)
        const endpoint = await api.update(
          params.id as string,
          {
            url: body.url,
            table: body.table,
            events: body.events as never,
            filter: body.filter,
            headers: body.headers,
            enabled: body.enabled,
            description: body.description,
            ordered: body.ordered,
            maxConcurrency: body.max_concurrency,
          },
          context,
        )
        if (!endpoint) throw endpointNotFound(params.id as string)
        return endpointJson(endpoint)
      },
    },
    {
      method: 'DELETE',
      path: '/:id',
      handler: async ({ params, context }) => {
        if (!(await api.delete(params.id as string, context))) throw endpointNotFound(params.id as string)
        return new Response(null, { status: 204 })
      },
    },
    {
      method: 'POST',
      path: '/:id/secrets',
      handler: async ({ request, params, context }) => {
        const body = await readValidated(request, rotateBody, limits)
        const secret = await api.rotateSecret(
          params.id as string,
          { type: body.type, previousExpiresIn: body.previous_expires_in },
          context,
        )
        if (!secret) throw endpointNotFound(params.id as string)
        return json(newSecretJson(secret), 201)
      },
    },
    {
      method: 'DELETE',
      path: '/:id/secrets/:secret_id',
      handler: async ({ params, context }) => {
        const { id, secret_id } = params as { id: string; secret_id: string }
        if (!(await api.deleteSecret(id, secret_id, context))) {
          throw webhooksError(
            'WEBHOOKS_NOT_FOUND',
            `No secret "${secret_id.slice(0, 100)}" of endpoint "${id.slice(0, 100)}"`,
          )
        }
        return new Response(null, { status: 204 })
      },
    },
    {
      method: 'POST',
      path: '/:id/test',
      status: 202,
      handler: async ({ params, context }) => {
        const delivery = await api.test(params.id as string, context)
        if (!delivery) throw endpointNotFound(params.id as string)
        return deliveryJson(delivery)
      },
    },
    {
      method: 'GET',
      path: '/:id/deliveries',
      handler: async ({ url, params }) => {
        const status = url.searchParams.get('status') ?? undefined
        const before = url.searchParams.get('before') ?? undefined
        const items = await api.deliveries(params.id as string, {
          status: status as DeliveryStatus | undefined,
          before,
          limit: intParam(url, 'limit', 1000),
        })
        if (!items) throw endpointNotFound(params.id as string)
        return { items: items.map(deliveryJson) }
      },
    },
    {
      method: 'GET',
      path: '/:id/deliveries/:delivery_id',
      handler: async ({ params }) => {
        const { id, delivery_id } = params as { id: string; delivery_id: string }
        const delivery = await api.delivery(id, delivery_id)
        if (!delivery) throw webhooksError('WEBHOOKS_NOT_FOUND', `No delivery "${delivery_id.slice(0, 100)}"`)
        return deliveryJson(delivery)
      },
    },
    {
      method: 'POST',
      path: '/:id/deliveries/:delivery_id/redeliver',
      status: 202,
      handler: async ({ params, context }) => {
        const { id, delivery_id } = params as { id: string; delivery_id: string }
        const delivery = await api.redeliver(id, delivery_id, context)
        if (!delivery) throw webhooksError('WEBHOOKS_NOT_FOUND', `No delivery "${delivery_id.slice(0, 100)}"`)
        return deliveryJson(delivery)
      },
    },
  ]

  const served = serveRoutes<AdminContext>({
    routes,
    basePath: settings.basePath,
    onError: settings.onError,
    prepare: (request) => admin(request),
  })
  const cors = createCors({
    origins: settings.cors,
    anyOrigin: 'wildcard',
    allowMethods: 'GET, POST, PATCH, DELETE, OPTIONS',
    allowHeaders: 'authorization, apikey, content-type, x-client-info',
    exposeHeaders: 'X-Request-Id',
  })
  return async (request) => cors.preflight(request) ?? cors.decorate(request, await served(request))
}
