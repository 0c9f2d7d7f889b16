import {
  type Authenticate,
  type GroundworkError,
  isGroundworkError,
  type OnError,
  type Principal,
  toGroundworkError,
} from '@groundwork/core'
import { z } from 'zod'
import type { RealtimeApi } from './create-realtime'
import { realtimeError } from './errors'
import type { Connection } from './internal/connection'
import { parseStreamRequest, type StreamRequest } from './subscriptions'

/** Settings of {@link createRealtimeHandler}. */
export interface RealtimeHandlerSettings {
  api: RealtimeApi
  authenticate: Authenticate
  basePath: string
  /** The service role's name: the only role let into the admin routes. */
  serviceRole: string
  maxQueryTokenTtl: number
  openStream: (
    principal: Principal,
    request: StreamRequest,
    lastEventId: number | null,
  ) => Promise<Connection>
  onError?: OnError | undefined
}

const broadcastInput = z.object({
  topic: z.string().min(1).max(255),
  event: z.string().min(1).max(255),
  payload: z.unknown().optional(),
})
const enableInput = z.object({ table: z.string().min(1).max(200) })
const pruneInput = z.object({ olderThanMs: z.number().int().positive().optional() })

function json(status: number, value: unknown): Response {
  return new Response(value === undefined ? null : JSON.stringify(value), {
    status,
    headers: value === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
  })
}

function errorResponse(error: GroundworkError): Response {
  const payload: Record<string, unknown> = { code: error.code, message: error.message }
  if (error.details !== undefined) payload.details = error.details
  if (error.hint !== undefined) payload.hint = error.hint
  const response = json(error.status, payload)
  if (error.status === 401) response.headers.set('www-authenticate', 'Bearer')
  return response
}

async function readJson(request: Request): Promise<unknown> {
  const text = await request.text()
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw realtimeError('REALTIME_INVALID_REQUEST', 'The request body is not valid JSON')
  }
}

function validate<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {})
  if (!result.success) {
    const issue = result.error.issues[0]
    throw realtimeError(
      'REALTIME_INVALID_REQUEST',
      `Invalid body: ${issue?.path.map(String).join('.') || '(root)'} ${issue?.message ?? ''}`.trim(),
    )
  }
  return result.data
}

/**
 * The realtime HTTP handler (Web `Request` → `Response`), routing relative to where it is mounted:
 *
 * - `GET /stream?schema=&table=&event=&filter=` (and `POST /stream` with a JSON body) — the SSE stream;
 * - `POST /broadcast` `{ topic, event, payload }` — send to a channel (INSERT policy decides);
 * - admin, service role only: `GET /tables`, `POST /tables` `{ table }`, `DELETE /tables/:schema.table`,
 *   `POST /prune` `{ olderThanMs? }`.
 *
 * Errors are JSON `{ code, message, hint? }` with the status of the code.
 */
export function createRealtimeHandler(
  settings: RealtimeHandlerSettings,
): (request: Request) => Promise<Response> {
  const { api } = settings

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

  async function admin(request: Request, url: URL) {
    const principal = await principalOf(request, url)
    if (principal.role !== settings.serviceRole) {
      throw realtimeError('REALTIME_FORBIDDEN', 'The realtime admin API needs the service role')
    }
  }

  async function stream(request: Request, url: URL): Promise<Response> {
    const principal = await principalOf(request, url)
    const body = request.method === 'POST' ? await readJson(request) : undefined
    const parsed = parseStreamRequest(url, body)
    const header = request.headers.get('last-event-id') ?? url.searchParams.get('last_event_id')
    const lastEventId = header !== null && /^\d{1,15}$/.test(header.trim()) ? Number(header.trim()) : null
    const connection = await settings.openStream(principal, parsed, lastEventId)
    if (request.signal.aborted) connection.end('shutdown')
    else request.signal.addEventListener('abort', () => connection.end('shutdown'), { once: true })
    return new Response(connection.stream, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      },
    })
  }

  return async function handler(request: Request): Promise<Response> {
    try {
      const url = new URL(request.url)
      let path = url.pathname
      if (settings.basePath && (path === settings.basePath || path.startsWith(`${settings.basePath}/`))) {
        path = path.slice(settings.basePath.length) || '/'
      }
      if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1)
      const method = request.method.toUpperCase()

      if (path === '/stream') {
        if (method !== 'GET' && method !== 'POST') throw notAllowed('GET, POST')
        return await stream(request, url)
      }
      if (path === '/broadcast') {
        if (method !== 'POST') throw notAllowed('POST')
        const principal = await principalOf(request, url)
        const message = validate(broadcastInput, await readJson(request))
        await api.broadcast(
          { topic: message.topic, event: message.event, payload: message.payload },
          { claims: { ...principal.claims, role: principal.role } },
        )
        return json(202, { status: 'ok' })
      }
      if (path === '/tables') {
        await admin(request, url)
        if (method === 'GET') return json(200, await api.list())
        if (method === 'POST') {
          const input = validate(enableInput, await readJson(request))
          return json(201, await api.enable(input.table))
        }
        throw notAllowed('GET, POST')
      }
      const table = /^\/tables\/([^/]+)$/.exec(path)
      if (table) {
        await admin(request, url)
        if (method !== 'DELETE') throw notAllowed('DELETE')
        let name: string
        try {
          name = decodeURIComponent(table[1] as string)
        } catch {
          throw realtimeError('REALTIME_INVALID_REQUEST', 'Malformed percent-encoding in the path')
        }
        await api.disable(name)
        return new Response(null, { status: 204 })
      }
      if (path === '/prune') {
        await admin(request, url)
        if (method !== 'POST') throw notAllowed('POST')
        const input = validate(pruneInput, await readJson(request))
        return json(
          200,
          await api.prune(input.olderThanMs === undefined ? {} : { olderThanMs: input.olderThanMs }),
        )
      }
      throw realtimeError('REALTIME_NOT_FOUND', `No route for ${method} ${path}`)
    } catch (error) {
      const known = fromDatabaseError(error)
      return errorResponse(toGroundworkError(known, settings.onError, request))
    }
  }
}

function notAllowed(allow: string) {
  return realtimeError('REALTIME_METHOD_NOT_ALLOWED', `Method not allowed; use ${allow}`, {
    details: { allow },
  })
}

/** Database errors a caller can cause (a bad table name for enable/disable) become 4xx, others stay unknown. */
function fromDatabaseError(error: unknown): unknown {
  const code = (error as { code?: unknown })?.code
  if (isGroundworkError(error) || typeof code !== 'string') return error
  if (code === '42P01') return realtimeError('REALTIME_NOT_FOUND', (error as Error).message)
  if (code === '22023' || code === '55000')
    return realtimeError('REALTIME_INVALID_REQUEST', (error as Error).message)
  return error
}
