import type { Database, Logger } from '@groundwork/core'
import type { ResolvedRealtimeOptions } from '../options'
import type { ChangeHub } from './change-hub'
import type { ChannelHub } from './channel-hub'
import type { Connection } from './connection'
import type { Revocations } from './revocations'

/** What the parts of one realtime service share; `createRealtime` builds it once. */
export interface RealtimeContext {
  readonly db: Database
  readonly options: ResolvedRealtimeOptions
  readonly logger: Logger
  /** This process in `realtime.instances` (presence heartbeat). */
  readonly instanceId: string
  /** Table changes: published tables, visibility, dispatch to connections. */
  readonly changes: ChangeHub
  /** Broadcast and presence channels. */
  readonly channels: ChannelHub
  /** The streams open on this instance. */
  readonly connections: Set<Connection>
  /** Ends streams whose credentials ended (`groundwork_revocations`). */
  readonly revocations: Revocations
}
