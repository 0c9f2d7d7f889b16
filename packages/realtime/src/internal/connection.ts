import type { JwtClaims } from '@groundwork/core'
import type { FilterCondition } from '../filters'
import { sseComment, sseMessage } from './sse'

/** One table subscription of a connection. */
export interface TableSubscription {
  schema: string
  table: string
  /** `*` or one of INSERT / UPDATE / DELETE. */
  event: string
  filter: FilterCondition[]
  /** The filter text as given, echoed in `ready`. */
  filterText: string | null
  /**
   * The columns the subscriber's role may SELECT, when that is not all of them (column-level
   * grants): its changes carry only these. Null: every column.
   */
  columns: readonly string[] | null
}

/** One channel (broadcast + presence) joined by a connection. */
export interface ChannelSubscription {
  topic: string
  /** May receive broadcast messages (SELECT on realtime.messages, extension broadcast). */
  broadcast: boolean
  /** May receive presence (SELECT on realtime.messages, extension presence). */
  presence: boolean
  /** Tracked presence of this connection, if it asked to be tracked (and was allowed to). */
  track: { key: string; ref: string; state: Record<string, unknown> } | null
}

/** Why a stream ended from the server side (the `reason` of its final `disconnect` event). */
export type CloseReason = 'slow_consumer' | 'token_expired' | 'shutdown' | 'error'

/** The `code` of the final `event: error` of a stream whose credentials ended. */
export type RealtimeStreamErrorCode =
  | 'REALTIME_SESSION_REVOKED'
  | 'REALTIME_USER_BANNED'
  | 'REALTIME_USER_DELETED'
  | 'REALTIME_KEY_REVOKED'

/**
 * A subscriber's SSE stream with a bounded buffer.
 *
 * Frames go straight into the response stream while the consumer keeps up (the stream's own
 * high-water mark), then into a queue of at most `bufferSize` frames. A consumer that lets the
 * queue overflow is disconnected: queued frames are dropped (never sent, so never skipped —
 * the client resumes before them), a final `disconnect` event names the id of the last change
 * that did go out, and the stream ends. Nobody else waits for it, and nothing is silently lost.
 */
export class Connection {
  readonly stream: ReadableStream<Uint8Array>
  readonly tables: TableSubscription[]
  readonly channels: ChannelSubscription[]
  readonly role: string
  readonly claims: JwtClaims
  /** Role + claims identity; connections with the same key share one visibility check. */
  readonly claimsKey: string
  /** Changes at or below this id are never sent (the resume point, or the horizon at connect). */
  lastId: number
  /** Replaying from the log: live changes wait in `backlog`. */
  replaying = false
  backlog: { id: number; frame: Uint8Array }[] = []
  closed = false

  #controller!: ReadableStreamDefaultController<Uint8Array>
  #queue: Uint8Array[] = []
  #queueIds: number[] = []
  /** Messages (not chunks: a corked chunk holds several) waiting in `#queue`. */
  #queueCounts: number[] = []
  #queued = 0
  #lastSentId: number
  #heartbeat: NodeJS.Timeout | null = null
  #expiry: NodeJS.Timeout | null = null
  #onClose: (connection: Connection) => void
  #drainWaiters: (() => void)[] = []
  #corked: Uint8Array[] | null = null
  #corkedId: number | undefined

  constructor(settings: {
    role: string
    claims: JwtClaims
    claimsKey: string
    tables: TableSubscription[]
    channels: ChannelSubscription[]
    lastId: number
    bufferSize: number
    heartbeatMs: number
    expiresAt: number | null
    onClose: (connection: Connection) => void
  }) {
    this.role = settings.role
    this.claims = settings.claims
    this.claimsKey = settings.claimsKey
    this.tables = settings.tables
    this.channels = settings.channels
    this.lastId = settings.lastId
    this.#lastSentId = settings.lastId
    this.#onClose = settings.onClose
    this.bufferSize = settings.bufferSize
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller
        },
        pull: () => this.#drain(),
        cancel: () => this.#finish(),
      },
      // Bounded in bytes: past 64 KiB not yet taken by the socket, messages wait in the counted queue.
      new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
    )
    this.#heartbeat = setInterval(() => {
      if ((this.#controller.desiredSize ?? 0) > 0) this.#controller.enqueue(sseComment('heartbeat'))
    }, settings.heartbeatMs)
    this.#heartbeat.unref?.()
    if (settings.expiresAt !== null) {
      const ms = Math.max(0, settings.expiresAt - Date.now())
      // setTimeout's limit is ~24.8 days; longer-lived tokens simply outlive the check.
      if (ms < 2 ** 31 - 1) {
        this.#expiry = setTimeout(() => this.end('token_expired'), ms)
        this.#expiry.unref?.()
      }
    }
  }

  readonly bufferSize: number

  /** The id of the last change handed to the response stream. */
  get lastSentId(): number {
    return this.#lastSentId
  }

  /** Frames waiting in the bounded buffer. */
  get buffered(): number {
    return this.#queued
  }

  /** Sends a change (skipped unless `id` > lastId) or, with `id` undefined, a control message. */
  send(frame: Uint8Array, id?: number): void {
    if (this.closed) return
    if (id !== undefined) {
      if (id <= this.lastId) return
      this.lastId = id
    }
    if (this.#corked) {
      this.#corked.push(frame)
      if (id !== undefined) this.#corkedId = id
      return
    }
    this.#push(frame, id)
  }

  /**
   * Collects the changes of one dispatched batch so they reach the socket as one write (fewer
   * syscalls and stream reads when a batch holds several changes for this subscriber).
   */
  cork(): void {
    this.#corked ??= []
  }

  uncork(): void {
    const frames = this.#corked
    const id = this.#corkedId
    this.#corked = null
    this.#corkedId = undefined
    if (!frames || frames.length === 0 || this.closed) return
    if (frames.length === 1) {
      this.#push(frames[0] as Uint8Array, id, 1)
      return
    }
    let length = 0
    for (const frame of frames) length += frame.byteLength
    const joined = new Uint8Array(length)
    let offset = 0
    for (const frame of frames) {
      joined.set(frame, offset)
      offset += frame.byteLength
    }
    this.#push(joined, id, frames.length)
  }

  /** Sends a control message that carries a resume point (`ready`, `resync-required`). */
  sendMarker(frame: Uint8Array, id: number): void {
    if (this.closed) return
    if (id > this.lastId) this.lastId = id
    this.#push(frame, id)
  }

  #push(frame: Uint8Array, id: number | undefined, count = 1): void {
    if (this.#queue.length === 0 && (this.#controller.desiredSize ?? 0) > 0) {
      this.#controller.enqueue(frame)
      if (id !== undefined) this.#lastSentId = id
      return
    }
    if (this.#queued + count > this.bufferSize) {
      this.end('slow_consumer')
      return
    }
    this.#queue.push(frame)
    this.#queueIds.push(id ?? -1)
    this.#queueCounts.push(count)
    this.#queued += count
  }

  /** Waits until the buffer is at most half full (used while replaying, which must not overflow it). */
  async waitForRoom(): Promise<void> {
    while (!this.closed && this.#queued > this.bufferSize / 2) {
      await new Promise<void>((resolve) => this.#drainWaiters.push(resolve))
    }
  }

  /** Ends the stream with a final `disconnect` event carrying the resume point. */
  end(reason: CloseReason): void {
    this.#close(
      sseMessage('disconnect', {
        reason,
        last_event_id: this.#lastSentId > 0 ? String(this.#lastSentId) : null,
      }),
    )
  }

  /**
   * Ends the stream because its credentials ended (session revoked, user banned or deleted, API
   * key revoked): a final `event: error` says why, and nothing queued is sent any more.
   */
  fail(code: RealtimeStreamErrorCode, message: string): void {
    this.#close(sseMessage('error', { code, message }))
  }

  #close(last: Uint8Array): void {
    if (this.closed) return
    this.#queue = []
    this.#queueIds = []
    this.#queueCounts = []
    this.#queued = 0
    this.#corked = null
    try {
      this.#controller.enqueue(last)
      this.#controller.close()
    } catch {
      // The consumer already went away.
    }
    this.#finish()
  }

  #drain() {
    while (this.#queue.length > 0 && (this.#controller.desiredSize ?? 0) > 0) {
      const frame = this.#queue.shift() as Uint8Array
      const id = this.#queueIds.shift() as number
      this.#queued -= this.#queueCounts.shift() as number
      this.#controller.enqueue(frame)
      if (id >= 0) this.#lastSentId = id
    }
    if (this.#queued <= this.bufferSize / 2) {
      const waiters = this.#drainWaiters
      this.#drainWaiters = []
      for (const resolve of waiters) resolve()
    }
  }

  #finish() {
    if (this.#heartbeat) clearInterval(this.#heartbeat)
    if (this.#expiry) clearTimeout(this.#expiry)
    this.#heartbeat = null
    this.#expiry = null
    const wasClosed = this.closed
    this.closed = true
    for (const resolve of this.#drainWaiters) resolve()
    this.#drainWaiters = []
    if (!wasClosed) this.#onClose(this)
  }
}
