import {
  type Authenticate,
  assertAccess,
  canAdminister,
  isGroundworkError,
  type OnError,
  type Principal,
  rateLimitHeaders,
} from '@groundwork/core'
import {
  type BodyLimits,
  createCors,
  HttpError,
  type RouteInput,
  readJson,
  readValidated,
  type ServedRoute,
  serveRoutes,
} from '@groundwork/core/kit'
import { z } from 'zod'
import type { RealtimeApi } from './api'
import { realtimeError } from './errors'
import { parseStreamRequest } from './subscriptions'

/** Settings of {@link createRealtimeHandler}. */
export interface RealtimeHandlerSettings {
  api: RealtimeApi
  authenticate: Authenticate
  /** Stripped from the request path (at a segment boundary) before routing. */
  basePath: string
  /** The service role's name: the only role let into the admin routes. */
  serviceRole: string
  maxQueryTokenTtl: number
  /** Limits of every body read. */
  limits: BodyLimits
  /** CORS: any origin, none, or a list. */
  cors: boolean | readonly string[]
  onError?: OnError | undefined
}

/**
 * CORS for browsers' `EventSource` and `fetch` from other origins: `*` without credentials
 * (callers authenticate with tokens, never cookies), a configured list echoed with credentials.
 */
function realtimeCors(origins: boolean | readonly string[]) {
  return createCors({
    origins,
    anyOrigin: 'wildcard',
    allowMethods: 'GET, POST, DELETE, OPTIONS',
    allowHeaders: 'authorization, apikey, content-type, last-event-id, x-client-info',
    exposeHeaders: 'RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After',
  })
}

const broadcastInput = z.object({
  topic: z.string().min(1).max(255),
  event: z.string().min(1).max(255),
  payload: z.unknown().optional(),
})
const enableInput = z.object({ table: z.string().min(1).max(200) })
const pruneInput = z.object({ olderThanMs: z.number().int().positive().optional() })

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
}

/**
 * The realtime HTTP handler (Web `Request` → `Response`), a thin layer over `realtime.api`,
 * routing relative to where it is mounted:
 *
 * - `GET /stream?schema=&table=&event=&filter=` (and `POST /stream` with a JSON body) — the SSE stream;
 * - `POST /broadcast` `{ topic, event, payload }` — send to a channel (INSERT policy decides);
 * - admin, service role only: `GET /tables`, `POST /tables` `{ table }`, `DELETE /tables/:schema.table`,
 *   `POST /prune` `{ olderThanMs? }`.
 *
 * Bodies are read through the HTTP kit with `limits` (413 past the size, 400 past the depth).
 * Errors are JSON `{ code, message, details?, hint? }` with the status of the code.
 */
export function createRealtimeHandler(
  settings: RealtimeHandlerSettings,
): (request: Request) => Promise<Response> {
  const { api, limits } = settings

  async function principalOf(request: Request, url: URL): Promise<Principal> {
    const token = url.searchParams.get('token')
    let principal: Principal
    try {
      if (token !== null && !request.headers.has('authorization')) {
        // EventSource cannot send headers: accept the access token as a query parameter, but only a
        // short-lived one, since URLs end up in logs.
        const headers = new Headers(request.headers)
        headers.set('authorization', `Bearer ${token}`)
        principal = await settings.authenticate(new Request(request.url, { headers }))
        const exp = principal.claims.exp
        if (typeof exp !== 'number' || exp * 1000 - Date.now() > settings.maxQueryTokenTtl * 1000) {
          throw realtimeError(
            'REALTIME_TOKEN_TOO_LONG_LIVED',
            `A token in the query string must expire within ${settings.maxQueryTokenTtl} seconds`,
            { hint: 'Send long-lived keys in the Authorization header instead' },
          )
        }
      } else {
        principal = await settings.authenticate(request)
      }
    } catch (error) {
      if (isGroundworkError(error)) throw error
      throw realtimeError('REALTIME_UNAUTHORIZED', 'Invalid credentials', { cause: error })
    }
    return principal
  }

  async function admin(request: Request, url: URL): Promise<void> {
    const principal = await principalOf(request, url)
    if (!canAdminister(principal, settings.serviceRole)) {
      throw realtimeError(
        'REALTIME_FORBIDDEN',
        'The realtime admin API needs the service role or an admin key',
      )
    }
  }

  async function stream({ request, url }: RouteInput<void>): Promise<Response> {
    // The router lets HEAD use GET routes; here that would open a stream no one reads.
    if (request.method === 'HEAD') {
      throw new HttpError('HTTP_METHOD_NOT_ALLOWED', 'Method HEAD not allowed; use GET, POST', {
        headers: { Allow: 'GET, POST' },
      })
    }
    const principal = await principalOf(request, url)
    const body = request.method === 'POST' ? await readJson(request, limits) : undefined
    const parsed = parseStreamRequest(url, body)
    const header = request.headers.get('last-event-id') ?? url.searchParams.get('last_event_id')
    const lastEventId = header !== null && /^\d{1,15}$/.test(header.trim()) ? Number(header.trim()) : null
    const opened = await api.openStream(principal, parsed, { lastEventId, signal: request.signal })
    return new Response(opened.body, {
      status: 200,
      headers: { ...SSE_HEADERS, ...rateLimitHeaders(principal) },
    })
  }

  const routes: ServedRoute<void>[] = [
    { method: 'GET', path: '/stream', handler: stream },
    { method: 'POST', path: '/stream', handler: stream },
    {
      method: 'POST',
      path: '/broadcast',
      status: 202,
      handler: async ({ request, url }) => {
        const principal = await principalOf(request, url)
        assertAccess(principal, { operation: 'write' }, settings.serviceRole)
        const message = await readValidated(request, broadcastInput, limits)
        await api.broadcast(
          { topic: message.topic, event: message.event, payload: message.payload },
          { claims: { ...principal.claims, role: principal.role } },
        )
        return { status: 'ok' }
      },
    },
    {
      method: 'GET',
      path: '/tables',
      handler: async ({ request, url }) => {
        await admin(request, url)
        return api.list()
      },
    },
    {
      method: 'POST',
      path: '/tables',
      status: 201,
      handler: async ({ request, url }) => {
        await admin(request, url)
        return api.enable((await readValidated(request, enableInput, limits)).table)
      },
    },
    {
      method: 'DELETE',
      path: '/tables/:table',
      status: 204,
      handler: async ({ request, url, params }) => {
        await admin(request, url)
        await api.disable(params.table as string)
        return undefined
      },
    },
    {
      method: 'POST',
      path: '/prune',
      handler: async ({ request, url }) => {
        await admin(request, url)
        const { olderThanMs } = await readValidated(request, pruneInput, limits)
        return api.prune(olderThanMs === undefined ? {} : { olderThanMs })
      },
    },
  ]

  const served = serveRoutes<void>({ routes, basePath: settings.basePath, onError: settings.onError })
  const cors = realtimeCors(settings.cors)
  return async (request) => cors.preflight(request) ?? cors.decorate(request, await served(request))
}
