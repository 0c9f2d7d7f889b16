/**
 * `@groundwork/realtime/client`: the SSE subscriber, which now lives in `@groundwork/client`
 * (`@groundwork/client/realtime`) next to the other client modules. Re-exported here so existing
 * imports keep working; new code should import it from `@groundwork/client/realtime`.
 *
 * @see https://github.com/groundwork/groundwork/blob/main/docs/client.md
 */
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
} from '@groundwork/client/realtime'
export { createRealtimeClient, RealtimeClientError } from '@groundwork/client/realtime'
