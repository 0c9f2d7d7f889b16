import {
  type AuditEntry,
  type Authenticate,
  assertAccess,
  canAdminister,
  clientAddress,
  type OnError,
  type Principal,
  rateLimitHeaders,
} from '@groundwork/core'
import {
  type BodyLimits,
  createCors,
  json,
  type RouteInput,
  readValidated,
  type ServedRoute,
  serveRoutes,
} from '@groundwork/core/kit'
import { z } from 'zod'
import type { PushApi } from './create-push'
import type { Device, RegisterDeviceInput } from './devices'
import { pushError } from './errors'
import { limitParam } from './internal/params'
import { MAX_RECIPIENT_IDS, MAX_TTL_SECONDS, TOPIC, UUID } from './message'
import type { NotificationStatus } from './notifications'
import type { ApnsOverrides } from './providers/provider'

/** The API-key scope that lets a key (of an app) send pushes without being an admin key. */
export const PUSH_SEND_SCOPE = 'push:send'

/** Settings of {@link createPushHandler}. */
export interface PushHandlerSettings {
  api: PushApi
  authenticate?: Authenticate | undefined
  /** The service role's name (`db.roles.service`). */
  serviceRole: string
  basePath: string
  limits: BodyLimits
  cors: boolean | readonly string[]
  onError?: OnError | undefined
  /** Records an admin action in auth's audit log (core's `recordAudit` on the database). */
  audit?: ((entry: AuditEntry) => Promise<void>) | undefined
}

const deviceBody = z.object({
  token: z.string(),
  provider: z.string(),
  platform: z.string().optional(),
  environment: z.string().optional(),
  topic: z.string().optional(),
  locale: z.string().optional(),
  app: z.string().optional(),
})

const record = z.record(z.string(), z.unknown())
const ids = z.array(z.string().regex(UUID, 'must be a UUID')).max(MAX_RECIPIENT_IDS)

/** `POST /send`: the fields of `push.api.send` in snake_case; unknown fields are refused (typos would silently drop recipients). */
const sendBody = z.strictObject({
  to: z.strictObject({
    user_ids: ids.optional(),
    device_ids: ids.optional(),
    topic: z.string().regex(TOPIC, 'must be 1-200 characters of A-Z a-z 0-9 _ . ~ % : -').optional(),
  }),
  notification: z
    .strictObject({ title: z.string().max(1024), body: z.string().max(4096), image: z.string().optional() })
    .optional(),
  data: z.record(z.string(), z.string()).optional(),
  apns: z
    .strictObject({
      badge: z.number().int().min(0).optional(),
      sound: z.string().optional(),
      category: z.string().optional(),
      thread_id: z.string().optional(),
      mutable_content: z.boolean().optional(),
      content_available: z.boolean().optional(),
      push_type: z.string().optional(),
      aps: record.optional(),
    })
    .optional(),
  fcm: z
    .strictObject({
      android: record.optional(),
      apns: record.optional(),
      webpush: record.optional(),
      fcm_options: record.optional(),
    })
    .optional(),
  collapse_key: z.string().optional(),
  ttl_seconds: z.number().int().min(0).max(MAX_TTL_SECONDS).optional(),
  priority: z.enum(['high', 'normal']).optional(),
})

/** A device as JSON (snake_case, like the rest of the wire format). */
export function deviceJson(device: Device) {
  return {
    id: device.id,
    user_id: device.userId,
    app: device.app,
    provider: device.provider,
    token: device.token,
    platform: device.platform,
    environment: device.environment,
    topic: device.topic,
    locale: device.locale,
    topics: device.topics,
    created_at: device.createdAt,
    updated_at: device.updatedAt,
    last_seen_at: device.lastSeenAt,
    disabled_at: device.disabledAt,
    disabled_reason: device.disabledReason,
  }
}

function notificationJson(status: NotificationStatus) {
  return {
    id: status.id,
    created_at: status.createdAt,
    fanned_out_at: status.fannedOutAt,
    device_count: status.deviceCount,
    counts: status.counts,
    deliveries: status.deliveries.map((d) => ({
      device_id: d.deviceId,
      status: d.status,
      attempts: d.attempts,
      provider: d.provider,
      provider_message_id: d.providerMessageId,
      error_code: d.errorCode,
      error: d.error,
      sent_at: d.sentAt,
      updated_at: d.updatedAt,
    })),
  }
}

function offsetParam(url: URL): number | undefined {
  const value = url.searchParams.get('offset')
  if (value === null) return undefined
  if (!/^\d{1,15}$/.test(value))
    throw pushError('PUSH_INVALID_REQUEST', '`offset` must be a non-negative integer')
  return Number(value)
}

function notFound(id: string) {
  return pushError('PUSH_NOT_FOUND', `No device "${id}" of yours`)
}

/**
 * The push HTTP handler (Web `Request` → `Response`), a thin layer over `push.api`, routing
 * relative to where it is mounted (`/push/v1` in the demo):
 *
 * - signed-in users, under row-level security: `POST /devices` (register or refresh: 201 new,
 *   200 existing), `GET /devices` (`{ items }`, mine), `DELETE /devices/:id` (204),
 *   `POST|DELETE /devices/:id/topics/:topic`;
 * - senders (the service role, an `admin` key or a `push:send` key): `POST /send` → 202
 *   `{ id }`, `GET /notifications/:id[?limit&offset]`.
 *
 * Bodies are read through the HTTP kit with `limits`. Errors are JSON `{ code, message,
 * details?, hint? }` with the code's status; CORS as configured.
 */
export function createPushHandler(settings: PushHandlerSettings): (request: Request) => Promise<Response> {
  const { api, limits, serviceRole } = settings

  async function principalOf(request: Request): Promise<Principal> {
    if (!settings.authenticate) {
      throw pushError('PUSH_FORBIDDEN', 'The push API is disabled: pass `authenticate` to createPush()')
    }
    return settings.authenticate(request)
  }

  async function user(input: RouteInput<void>, operation: 'read' | 'write') {
    const principal = await principalOf(input.request)
    assertAccess(principal, { operation, tables: ['push.devices'] }, serviceRole)
    return { claims: principal.claims, checks: principal.checks, signal: input.request.signal, principal }
  }

  async function sender(request: Request): Promise<Principal> {
    const principal = await principalOf(request)
    if (canAdminister(principal, serviceRole) || principal.scopes?.includes(PUSH_SEND_SCOPE)) return principal
    if (principal.kind === 'anonymous') {
      throw pushError(
        'PUSH_UNAUTHORIZED',
        'Sending needs the service-role key or a key with the push:send scope',
      )
    }
    throw pushError(
      'PUSH_FORBIDDEN',
      'Sending needs the service role, an admin key or a key with the push:send scope',
    )
  }

  const routes: ServedRoute<void>[] = [
    {
      method: 'POST',
      path: '/devices',
      handler: async (input) => {
        const caller = await user(input, 'write')
        const body = await readValidated(input.request, deviceBody, limits)
        // Types only here: the api validates the values (PUSH_INVALID_DEVICE naming the field).
        const { device, created } = await api.devices.register(caller, body as RegisterDeviceInput)
        return json(deviceJson(device), created ? 201 : 200, rateLimitHeaders(caller.principal))
      },
    },
    {
      method: 'GET',
      path: '/devices',
      handler: async (input) => {
        const caller = await user(input, 'read')
        return { items: (await api.devices.list(caller)).map(deviceJson) }
      },
    },
    {
      method: 'GET',
      path: '/devices/:id',
      handler: async (input) => {
        const caller = await user(input, 'read')
        const id = input.params.id as string
        const device = await api.devices.get(caller, id)
        if (!device) throw notFound(id)
        return deviceJson(device)
      },
    },
    {
      method: 'DELETE',
      path: '/devices/:id',
      handler: async (input) => {
        const caller = await user(input, 'write')
        const id = input.params.id as string
        if (!(await api.devices.delete(caller, id))) throw notFound(id)
        return new Response(null, { status: 204 })
      },
    },
    {
      method: 'POST',
      path: '/devices/:id/topics/:topic',
      handler: async (input) => {
        const caller = await user(input, 'write')
        const { id, topic } = input.params as { id: string; topic: string }
        const result = await api.devices.subscribe(caller, id, topic)
        if (!result) throw notFound(id)
        return json({ device_id: id, topic }, result.subscribed ? 201 : 200)
      },
    },
    {
      method: 'DELETE',
      path: '/devices/:id/topics/:topic',
      handler: async (input) => {
        const caller = await user(input, 'write')
        const { id, topic } = input.params as { id: string; topic: string }
        if (!(await api.devices.unsubscribe(caller, id, topic))) throw notFound(id)
        return new Response(null, { status: 204 })
      },
    },
    {
      method: 'POST',
      path: '/send',
      status: 202,
      handler: async ({ request }) => {
        const principal = await sender(request)
        const body = await readValidated(request, sendBody, limits)
        const { id } = await api.send({
          to: { userIds: body.to.user_ids, deviceIds: body.to.device_ids, topic: body.to.topic },
          notification: body.notification,
          data: body.data,
          apns: body.apns && {
            badge: body.apns.badge,
            sound: body.apns.sound,
            category: body.apns.category,
            threadId: body.apns.thread_id,
            mutableContent: body.apns.mutable_content,
            contentAvailable: body.apns.content_available,
            // Checked against the APNs push types by the api (PUSH_INVALID_MESSAGE).
            pushType: body.apns.push_type as ApnsOverrides['pushType'],
            aps: body.apns.aps,
          },
          fcm: body.fcm && {
            android: body.fcm.android,
            apns: body.fcm.apns,
            webpush: body.fcm.webpush,
            fcmOptions: body.fcm.fcm_options,
          },
          collapseKey: body.collapse_key,
          ttlSeconds: body.ttl_seconds,
          priority: body.priority,
        })
        await settings.audit?.({
          action: 'push.sent',
          logType: 'push',
          actor: principal,
          ipAddress: clientAddress(request) ?? undefined,
          traits: {
            notification_id: id,
            users: body.to.user_ids?.length ?? 0,
            devices: body.to.device_ids?.length ?? 0,
            topic: body.to.topic ?? null,
          },
        })
        return { id }
      },
    },
    {
      method: 'GET',
      path: '/notifications/:id',
      handler: async ({ request, url, params }) => {
        await sender(request)
        const id = params.id as string
        const status = await api.notification(id, { limit: limitParam(url), offset: offsetParam(url) })
        if (!status) throw pushError('PUSH_NOT_FOUND', `No notification "${id}"`)
        return notificationJson(status)
      },
    },
  ]

  const served = serveRoutes<void>({ routes, basePath: settings.basePath, onError: settings.onError })
  const cors = createCors({
    origins: settings.cors,
    anyOrigin: 'wildcard',
    allowMethods: 'GET, POST, DELETE, OPTIONS',
    allowHeaders: 'authorization, apikey, content-type, x-client-info',
    exposeHeaders: 'RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After',
  })
  return async (request) => cors.preflight(request) ?? cors.decorate(request, await served(request))
}
