import { realtimeError } from '../errors'
import type { ChangeRow } from './change-hub'
import type { MessageRow } from './channel-hub'
import type { RealtimeContext } from './context'
import { Listener } from './listener'
import { CHANGES_PAGE_SQL, LogTailer, MESSAGES_PAGE_SQL, writerQueries } from './log-tailer'
import { REVOCATIONS_CHANNEL } from './revocations'

/** Start, close and drain of a realtime service: the log tailers, the LISTEN connection, the heartbeat. */
export interface Lifecycle {
  /** True between a successful `start()` and `close()`: streams may open. */
  readonly started: boolean
  /** Reads the cursors, starts the tailers and the instance heartbeat, opens the LISTEN connection. */
  start(): Promise<void>
  /** Ends every stream (each with its resume point), leaves presence, closes the LISTEN connection. */
  close(): Promise<void>
  /** Resolves when everything committed so far has been dispatched. */
  drain(): Promise<void>
}

/** The lifecycle of the service whose parts `context` holds. */
export function createLifecycle(context: RealtimeContext): Lifecycle {
  const { db, options, logger, instanceId, changes, channels, connections, revocations } = context
  let changeTailer: LogTailer<ChangeRow> | null = null
  let messageTailer: LogTailer<MessageRow> | null = null
  let listener: Listener | null = null
  let heartbeat: NodeJS.Timeout | null = null
  let state: 'new' | 'starting' | 'started' | 'closed' = 'new'
  let starting: Promise<void> | null = null

  async function begin(): Promise<void> {
    state = 'starting'
    await changes.loadPublished()
    const { rows } = await db.query<{ changes: string; messages: string }>(
      `select (select coalesce(max(id), 0) from realtime.changes) as changes,
              (select coalesce(max(id), 0) from realtime.messages) as messages`,
    )
    const cursors = rows[0] as { changes: string; messages: string }
    changeTailer = new LogTailer<ChangeRow>(
      {
        db: db.pool,
        sql: CHANGES_PAGE_SQL,
        batchSize: options.batchSize,
        gapPollMs: options.gapPollMs,
        onBatch: (batch) => changes.dispatch(batch),
        writers: writerQueries(1),
        onError: (error) => logger.error('realtime: reading realtime.changes failed', error),
      },
      Number(cursors.changes),
    )
    changes.dispatchedThrough = Number(cursors.changes)
    messageTailer = new LogTailer<MessageRow>(
      {
        db: db.pool,
        sql: MESSAGES_PAGE_SQL,
        batchSize: options.batchSize,
        gapPollMs: options.gapPollMs,
        onBatch: (batch) => channels.dispatch(batch),
        writers: writerQueries(2),
        onError: (error) => logger.error('realtime: reading realtime.messages failed', error),
      },
      Number(cursors.messages),
    )
    await channels.heartbeat(instanceId, options.instanceStaleMs)
    heartbeat = setInterval(() => {
      channels
        .heartbeat(instanceId, options.instanceStaleMs)
        .catch((error) => logger.warn('realtime: instance heartbeat failed', error))
    }, options.instanceHeartbeatMs)
    heartbeat.unref?.()
    const reloadPublished = () =>
      changes
        .loadPublished()
        .catch((error) => logger.warn('realtime: reloading published tables failed', error))
    const catchUp = () => {
      reloadPublished()
      changeTailer?.notify()
      messageTailer?.notify()
    }
    listener = new Listener({
      pool: db.pool,
      channels: ['realtime_changes', 'realtime_messages', 'realtime_published', REVOCATIONS_CHANNEL],
      logger,
      onNotification: (channel, payload) => {
        if (channel === 'realtime_changes') changeTailer?.notify()
        else if (channel === 'realtime_messages') messageTailer?.notify()
        else if (channel === REVOCATIONS_CHANNEL) revocations.notify(payload)
        else reloadPublished()
      },
      onConnect: () => {
        // A revocation NOTIFY sent while the LISTEN connection was down is lost: before catching up
        // on whatever was appended meanwhile, ask the database whether any open stream's
        // credentials ended (one query; none on the first connect, when no stream is open).
        revocations
          .recheck()
          .catch((error) => logger.error('realtime: re-checking revoked credentials failed', error))
          .finally(catchUp)
      },
    })
    await listener.start()
    state = 'started'
  }

  return {
    get started() {
      return state === 'started'
    },
    async start() {
      if (state === 'closed') throw realtimeError('REALTIME_CLOSED', 'This realtime service was closed')
      starting ??= begin()
      try {
        await starting
      } catch (error) {
        starting = null
        state = 'new'
        throw error
      }
    },
    async close() {
      if (state === 'closed') return
      const wasStarted = state !== 'new'
      state = 'closed'
      if (heartbeat) clearInterval(heartbeat)
      changeTailer?.stop()
      messageTailer?.stop()
      for (const connection of [...connections]) connection.end('shutdown')
      await listener?.close()
      await changeTailer?.idle()
      await messageTailer?.idle()
      await changes.settled()
      if (wasStarted) {
        await channels
          .leaveAll(instanceId)
          .catch((error) => logger.warn('realtime: leaving presence failed', error))
      }
    },
    async drain() {
      for (let i = 0; i < 3; i++) {
        changeTailer?.notify()
        messageTailer?.notify()
        await changeTailer?.idle()
        await messageTailer?.idle()
        await changes.settled()
      }
    },
  }
}
