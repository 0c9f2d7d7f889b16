/**
 * `@groundwork/client/realtime`: database changes, broadcast and presence over Groundwork's SSE
 * stream (`/realtime/v1`). {@link createRealtimeClient} stands alone (a URL and a token);
 * {@link createRealtime} binds it to a connection, so streams send the signed-in user's token and
 * reconnect — resuming with `Last-Event-ID`, nothing lost — when the user signs in or out or the
 * token is refreshed.
 *
 * @see https://github.com/groundwork/groundwork/blob/main/docs/realtime.md
 */
import type { GroundworkConnection } from '../connection'
import { createRealtimeClient, type RealtimeClient, type RealtimeSubscription } from './sse-client'

export type {
  ChannelSubscription,
  RealtimeBroadcast,
  RealtimeChange,
  RealtimeClient,
  RealtimeClientOptions,
  RealtimePresence,
  RealtimeStatus,
  RealtimeSubscription,
  SubscribeHandlers,
  TableSubscription,
} from './sse-client'
export { createRealtimeClient, RealtimeClientError } from './sse-client'

/** Options of {@link createRealtime}. */
export interface RealtimeOptions {
  /** First reconnect delay (ms) until the server sends a `retry:` hint. @default 1000 */
  initialDelayMs?: number
  /** Upper bound of the exponential backoff (ms). @default 30000 */
  maxDelayMs?: number
}

/**
 * The realtime client of a connection: every stream sends the connection's current token and
 * reconnects when it changes.
 *
 * @example
 * ```ts
 * const realtime = createRealtime(connection)
 * const sub = realtime.subscribe({ table: 'todos', filter: 'list_id=eq.5' }, {
 *   onChange: (change) => console.log(change.type, change.record),
 * })
 * ```
 */
export function createRealtime(
  connection: GroundworkConnection,
  options: RealtimeOptions = {},
): RealtimeClient {
  const client = createRealtimeClient({
    url: connection.serviceUrl('realtime'),
    apikey: connection.key,
    token: () => connection.accessToken(),
    fetch: connection.baseFetch,
    ...options,
  })
  const open = new Set<RealtimeSubscription>()
  connection.onTokenChange(() => {
    for (const subscription of open) subscription.reconnect()
  })
  return {
    subscribe(request, handlers, subscribeOptions) {
      const subscription = client.subscribe(request, handlers, subscribeOptions)
      open.add(subscription)
      void subscription.closed.then(() => open.delete(subscription))
      return subscription
    },
    broadcast: (message) => client.broadcast(message),
  }
}
