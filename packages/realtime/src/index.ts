export type {
  OpenStreamOptions,
  PublishedTableInfo,
  RealtimeApi,
  RealtimeStats,
  RealtimeStream,
} from './api'
export type { Realtime } from './create-realtime'
export { createRealtime } from './create-realtime'
export type { RealtimeErrorCode } from './errors'
export { REALTIME_ERROR_STATUS, RealtimeError } from './errors'
export type { FilterCondition, FilterOperator } from './filters'
export { matchesFilter, parseFilter } from './filters'
export type { ChangePayload } from './internal/change-hub'
export type { RealtimeStreamErrorCode } from './internal/connection'
export { migrations } from './migrations'
export type { RealtimeOptions, ResolvedRealtimeOptions } from './options'
export type { ChannelSubscriptionInput, StreamRequest, TableSubscriptionInput } from './subscriptions'
export type { RealtimePruneTask } from './tasks'
