import http2, {
  type ClientHttp2Session,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2'

/** An HTTP/2 response, read whole (push services answer with a small JSON body). */
export interface Http2Response {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** Options of {@link Http2Client}. */
export interface Http2ClientOptions {
  /** Streams in flight at most, further capped by the server's `SETTINGS_MAX_CONCURRENT_STREAMS`. */
  maxConcurrentStreams: number
  /** Milliseconds a request may take, connection included. */
  requestTimeout: number
}

const { NGHTTP2_CANCEL } = http2.constants

/**
 * One multiplexed HTTP/2 connection to an origin, opened on first use and reopened after it
 * closes, errors or receives GOAWAY (streams already running finish on the old one). Requests
 * beyond the stream limit wait for a free stream in order, so any number of deliveries share the
 * connection without tripping the server's limit. The socket is unref'd: an idle client never
 * keeps the process alive.
 */
export class Http2Client {
  readonly #origin: string
  readonly #options: Http2ClientOptions
  #session: ClientHttp2Session | null = null
  #active = 0
  readonly #waiting: { grant: () => void; refuse: (error: Error) => void }[] = []
  #closed = false
  readonly #inflight = new Map<
    http2.ClientHttp2Stream,
    { deadline: number; finish: (error: Error | null) => void }
  >()
  #sweeper: NodeJS.Timeout | null = null

  constructor(origin: string, options: Http2ClientOptions) {
    this.#origin = origin
    this.#options = options
  }

  /** Streams in flight now. */
  get active(): number {
    return this.#active
  }

  #connect(): ClientHttp2Session {
    const current = this.#session
    if (current && !current.closed && !current.destroyed) return current
    const session = http2.connect(this.#origin)
    const drop = () => {
      if (this.#session === session) this.#session = null
    }
    // An error closes the session; the streams on it reject with their own errors.
    session.on('error', drop)
    session.on('goaway', drop)
    session.on('close', drop)
    session.on('remoteSettings', () => this.#release(0))
    session.unref()
    this.#session = session
    return session
  }

  #limit(): number {
    const remote = this.#session?.remoteSettings.maxConcurrentStreams
    return Math.max(
      1,
      Math.min(this.#options.maxConcurrentStreams, remote ?? this.#options.maxConcurrentStreams),
    )
  }

  /** Takes a stream slot: at once (undefined) when one is free, else a promise of the next one. */
  #acquire(): Promise<void> | undefined {
    if (this.#active < this.#limit() && this.#waiting.length === 0) {
      this.#active++
      return undefined
    }
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({
        grant: () => {
          this.#active++
          resolve()
        },
        refuse: reject,
      })
    })
  }

  /** Frees `count` streams and lets waiting requests start. */
  #release(count: number): void {
    this.#active -= count
    while (this.#waiting.length > 0 && this.#active < this.#limit()) this.#waiting.shift()?.grant()
  }

  /**
   * Sends one request and reads the answer. Rejects on connection errors, stream resets or a
   * timeout; an HTTP error status resolves like any other answer. `signal` is checked before the
   * request waits for a stream and before it is sent (a running request finishes or times out).
   */
  async request(headers: OutgoingHttpHeaders, body: string, signal?: AbortSignal): Promise<Http2Response> {
    if (this.#closed) throw new Error('the HTTP/2 client is closed')
    signal?.throwIfAborted()
    const waiting = this.#acquire()
    if (waiting) await waiting
    try {
      signal?.throwIfAborted()
      return await this.#send(headers, body)
    } finally {
      this.#release(1)
    }
  }

  #send(headers: OutgoingHttpHeaders, body: string): Promise<Http2Response> {
    return new Promise<Http2Response>((resolve, reject) => {
      let stream: http2.ClientHttp2Stream
      try {
        stream = this.#connect().request(headers)
      } catch (error) {
        this.#session = null
        reject(error)
        return
      }
      let status = 0
      let responseHeaders: IncomingHttpHeaders = {}
      const chunks: Buffer[] = []
      let size = 0
      const finish = (error: Error | null) => {
        if (!this.#inflight.delete(stream)) return
        if (error) reject(error)
        else resolve({ status, headers: responseHeaders, body: Buffer.concat(chunks, size).toString('utf8') })
      }
      this.#inflight.set(stream, { deadline: Date.now() + this.#options.requestTimeout, finish })
      this.#watch()
      stream.on('response', (received) => {
        responseHeaders = received
        status = Number(received[':status'] ?? 0)
      })
      stream.on('data', (chunk: Buffer) => {
        // Push services answer in a few hundred bytes; anything past 64 KiB is not one of them.
        if (size < 65_536) {
          chunks.push(chunk)
          size += chunk.byteLength
        }
      })
      stream.on('end', () => finish(status ? null : new Error('the stream ended without a response')))
      stream.on('error', (error) => finish(error))
      // 'close' follows every stream's end: only a stream still waiting gets (and pays for) an error.
      stream.on('close', () => {
        if (this.#inflight.has(stream)) {
          finish(new Error(`the stream closed (code ${stream.rstCode ?? 'none'}) before the response ended`))
        }
      })
      stream.end(body)
    })
  }

  /**
   * One timer for every request's deadline (a timer per request costs more than the request's own
   * bookkeeping at tens of thousands of sends a second); unref'd, and stopped when nothing runs.
   */
  #watch(): void {
    if (this.#sweeper) return
    const every = Math.max(10, Math.min(1000, Math.floor(this.#options.requestTimeout / 4)))
    this.#sweeper = setInterval(() => {
      const now = Date.now()
      for (const [stream, { deadline, finish }] of this.#inflight) {
        if (deadline > now) continue
        stream.close(NGHTTP2_CANCEL)
        finish(
          Object.assign(new Error(`no answer within ${this.#options.requestTimeout} ms`), {
            code: 'ETIMEDOUT',
          }),
        )
      }
      if (this.#inflight.size === 0 && this.#sweeper) {
        clearInterval(this.#sweeper)
        this.#sweeper = null
      }
    }, every)
    this.#sweeper.unref()
  }

  /** Closes the connection after its running streams (a new request after this rejects). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true
    const session = this.#session
    this.#session = null
    for (const waiter of this.#waiting.splice(0)) waiter.refuse(new Error('the HTTP/2 client is closed'))
    if (!session || session.closed || session.destroyed) return
    await new Promise<void>((resolve) => session.close(() => resolve()))
  }
}
