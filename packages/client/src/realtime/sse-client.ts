/**
 * A subscriber for Groundwork's realtime SSE stream, built on `fetch` and `eventsource-parser`
 * (so it can send an `Authorization` header, which `EventSource` cannot). Moved here from
 * `@groundwork/realtime/client`, which re-exports it.
 * Reconnects by itself with exponential backoff (starting from the server's `retry:` hint) and
 * resumes with `Last-Event-ID`, so a dropped connection or a server restart loses nothing.
 * Portable: Web APIs only (browsers, Node ≥ 18, Deno, Bun).
 *
 * @see https://github.com/groundwork/groundwork/blob/main/docs/realtime.md
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { GroundworkClientError } from '../errors'

/** A database change as delivered (the `data` of an `INSERT` / `UPDATE` / `DELETE` event). */
export interface RealtimeChange<Row = Record<string, unknown>> {
  /** The change-log id (also the SSE event id). */
  id: string
  schema: string
  table: string
  type: 'INSERT' | 'UPDATE' | 'DELETE'
  /** The new row; null for DELETE. */
  record: Row | null
  /** The primary key of the changed row for UPDATE and DELETE; null for INSERT. */
  old_record: Partial<Row> | null
  commit_timestamp: string
}

/** A broadcast message on a channel. */
export interface RealtimeBroadcast<Payload = unknown> {
  topic: string
  event: string
  payload: Payload
}

/** A presence event: the full `sync` state on join, then `join` / `leave` of single members. */
export type RealtimePresence =
  | { topic: string; type: 'sync'; presences: Record<string, Record<string, unknown>[]> }
  | {
      topic: string
      type: 'join' | 'leave'
      key: string
      presence_ref: string
      state: Record<string, unknown>
    }

/** One table subscription. */
export interface TableSubscription {
  /** @default 'public' */
  schema?: string
  table: string
  /** @default '*' */
  event?: '*' | 'INSERT' | 'UPDATE' | 'DELETE'
  /** Supabase filter syntax, e.g. `list_id=eq.5`. */
  filter?: string
}

/** One channel: receive broadcasts and presence, optionally track this client's presence. */
export interface ChannelSubscription {
  topic: string
  presence?: { key: string; state?: Record<string, unknown> }
}

/** Connection status reported to `onStatus`. */
export type RealtimeStatus = 'connecting' | 'open' | 'reconnecting' | 'closed'

/** Handlers of {@link RealtimeClient.subscribe}. */
export interface SubscribeHandlers<Row = Record<string, unknown>> {
  onChange?: (change: RealtimeChange<Row>) => void
  onBroadcast?: (message: RealtimeBroadcast) => void
  onPresence?: (event: RealtimePresence) => void
  /** The resume point was pruned: reload your state, then rely on the stream again. */
  onResync?: (info: { reason: string; last_event_id: string; pruned_through: string }) => void
  onStatus?: (status: RealtimeStatus, detail?: { reason?: string; attempt?: number }) => void
  /**
   * Network errors (retried), refusals (4xx: not retried; the subscription closes) and streams
   * ended because their credentials ended (`status` 401, `code` `REALTIME_SESSION_REVOKED`,
   * `REALTIME_USER_BANNED`, `REALTIME_USER_DELETED` or `REALTIME_KEY_REVOKED`: retried only when
   * `token` is a function, which may return a fresh token).
   */
  onError?: (error: RealtimeClientError | Error) => void
}

/** What the server answered when it refused a stream. */
export class RealtimeClientError extends GroundworkClientError {
  override name = 'RealtimeClientError'
}

/** Options of {@link createRealtimeClient}. */
export interface RealtimeClientOptions {
  /** Where the realtime handler is mounted, e.g. `https://api.example.com/realtime/v1`. */
  url: string
  /** Sent as the `apikey` header (Supabase-style project key). */
  apikey?: string
  /** The access token, or a function returning a fresh one before every (re)connect. */
  token?: string | (() => string | null | undefined | Promise<string | null | undefined>)
  /** @default globalThis.fetch */
  fetch?: typeof fetch
  /** First reconnect delay (ms) until the server sends a `retry:` hint. @default 1000 */
  initialDelayMs?: number
  /** Upper bound of the exponential backoff (ms). @default 30000 */
  maxDelayMs?: number
}

/** A running subscription. */
export interface RealtimeSubscription {
  /** The id of the last event received: where a reconnect resumes. */
  readonly lastEventId: string | null
  /**
   * Ends the current connection and opens a new one at once (no backoff), resuming from
   * {@link lastEventId} with a fresh token: for when the identity changed (sign-in, sign-out).
   */
  reconnect(): void
  /** Stops the subscription (also done by aborting the `signal` passed to `subscribe`). */
  close(): void
  /** Settles once the subscription has stopped for good. */
  readonly closed: Promise<void>
}

/** What {@link createRealtimeClient} returns. */
export interface RealtimeClient {
  /**
   * Opens a stream for one table (`{ table, filter }`) or many tables and channels
   * (`{ subscriptions, channels }`) and keeps it open across disconnects.
   *
   * @example
   * ```ts
   * const client = createRealtimeClient({ url: `${origin}/realtime/v1`, token: () => session.access_token })
   * const sub = client.subscribe({ table: 'todos', filter: 'list_id=eq.5' }, {
   *   onChange: (change) => console.log(change.type, change.record),
   * })
   * sub.close()
   * ```
   */
  subscribe<Row = Record<string, unknown>>(
    request: TableSubscription | { subscriptions?: TableSubscription[]; channels?: ChannelSubscription[] },
    handlers: SubscribeHandlers<Row>,
    options?: { signal?: AbortSignal; lastEventId?: string },
  ): RealtimeSubscription
  /** Sends a broadcast to a channel (the server's INSERT policies on realtime.messages decide). */
  broadcast(message: { topic: string; event: string; payload?: unknown }): Promise<void>
}

/** Creates a realtime client. */
export function createRealtimeClient(options: RealtimeClientOptions): RealtimeClient {
  const base = options.url.replace(/\/+$/, '')
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis)
  const initialDelay = options.initialDelayMs ?? 1000
  const maxDelay = options.maxDelayMs ?? 30_000

  async function headers(extra: Record<string, string> = {}): Promise<Headers> {
    const result = new Headers(extra)
    if (options.apikey) result.set('apikey', options.apikey)
    const token = typeof options.token === 'function' ? await options.token() : options.token
    if (token) result.set('authorization', `Bearer ${token}`)
    return result
  }

  async function refusal(response: Response): Promise<RealtimeClientError> {
    let code = 'HTTP_ERROR'
    let message = `HTTP ${response.status}`
    try {
      const body = (await response.json()) as { code?: string; message?: string }
      code = body.code ?? code
      message = body.message ?? message
    } catch {
      // not JSON
    }
    return new RealtimeClientError(response.status, code, message)
  }

  return {
    subscribe(request, handlers, subscribeOptions = {}) {
      const body =
        'table' in request
          ? { subscriptions: [request], channels: [] }
          : { subscriptions: request.subscriptions ?? [], channels: request.channels ?? [] }
      const controller = new AbortController()
      const external = subscribeOptions.signal
      if (external) {
        if (external.aborted) controller.abort()
        else external.addEventListener('abort', () => controller.abort(), { once: true })
      }
      let lastEventId: string | null = subscribeOptions.lastEventId ?? null
      let retryMs = initialDelay
      // Aborted by reconnect(): ends only the current connection.
      let current = new AbortController()
      let reconnecting = false
      controller.signal.addEventListener('abort', () => current.abort(), { once: true })

      const run = async () => {
        let attempt = 0
        while (!controller.signal.aborted) {
          if (current.signal.aborted) current = new AbortController()
          reconnecting = false
          handlers.onStatus?.(attempt === 0 ? 'connecting' : 'reconnecting', { attempt })
          let reason: string | undefined
          // Set by the stream's final `error` event (assigned in the parser's callback).
          const ended: { error: RealtimeClientError | null } = { error: null }
          try {
            const extra: Record<string, string> = {
              accept: 'text/event-stream',
              'content-type': 'application/json',
            }
            if (lastEventId !== null) extra['last-event-id'] = lastEventId
            const response = await doFetch(`${base}/stream`, {
              method: 'POST',
              headers: await headers(extra),
              body: JSON.stringify(body),
              signal: current.signal,
            })
            if (!response.ok || !response.body) {
              const error = await refusal(response)
              handlers.onError?.(error)
              // Client errors will not fix themselves (except an expired token a `token` function refreshes).
              if (
                response.status >= 400 &&
                response.status < 500 &&
                response.status !== 408 &&
                response.status !== 429
              ) {
                if (!(response.status === 401 && typeof options.token === 'function')) break
              }
            } else {
              const parser = createParser({
                onRetry: (ms) => {
                  retryMs = ms
                },
                onEvent: (message: EventSourceMessage) => {
                  if (message.id !== undefined) lastEventId = message.id
                  const event = message.event ?? 'message'
                  const data = message.data === '' ? null : JSON.parse(message.data)
                  switch (event) {
                    case 'INSERT':
                    case 'UPDATE':
                    case 'DELETE':
                      handlers.onChange?.({ id: message.id ?? '', ...data })
                      break
                    case 'ready':
                      attempt = 0
                      handlers.onStatus?.('open')
                      break
                    case 'broadcast':
                      handlers.onBroadcast?.(data)
                      break
                    case 'presence':
                      handlers.onPresence?.(data)
                      break
                    case 'resync-required':
                      handlers.onResync?.(data)
                      break
                    case 'disconnect':
                      reason = data?.reason
                      break
                    case 'error':
                      // The stream's credentials ended (session revoked, user banned or deleted,
                      // API key revoked): as a 401, resumed only with a fresh token.
                      ended.error = new RealtimeClientError(
                        401,
                        typeof data?.code === 'string' ? data.code : 'REALTIME_REVOKED',
                        typeof data?.message === 'string' ? data.message : 'Credentials revoked',
                      )
                      break
                  }
                },
              })
              const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
              for (;;) {
                const { done, value } = await reader.read()
                if (done) break
                parser.feed(value)
              }
            }
          } catch (error) {
            if (controller.signal.aborted) break
            if (!reconnecting) handlers.onError?.(error as Error)
          }
          if (controller.signal.aborted) break
          if (reconnecting) {
            attempt = 0
            continue
          }
          if (ended.error) {
            handlers.onError?.(ended.error)
            if (typeof options.token !== 'function') break
            reason = ended.error.code
          }
          // Exponential backoff with full jitter, from the server's retry hint.
          const delay = Math.min(maxDelay, retryMs * 2 ** Math.min(attempt, 10))
          attempt++
          handlers.onStatus?.('reconnecting', { ...(reason ? { reason } : {}), attempt })
          // reconnect() cuts the wait short (it aborts `current`).
          await sleep(delay / 2 + Math.random() * (delay / 2), current.signal)
        }
        handlers.onStatus?.('closed')
      }
      const closed = run()
      return {
        get lastEventId() {
          return lastEventId
        },
        close() {
          controller.abort()
        },
        reconnect() {
          if (controller.signal.aborted) return
          reconnecting = true
          current.abort()
        },
        closed,
      }
    },

    async broadcast(message) {
      const response = await doFetch(`${base}/broadcast`, {
        method: 'POST',
        headers: await headers({ 'content-type': 'application/json' }),
        body: JSON.stringify(message),
      })
      if (!response.ok) throw await refusal(response)
    },
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
