import type { Logger } from '@groundwork/core'
import pg from 'pg'

/**
 * The process's one LISTEN connection. It is a dedicated client (LISTEN needs a session that is
 * never handed to anyone else), reconnects with backoff, and on every (re)connect calls
 * `onConnect` so readers catch up from their cursors: nothing is lost while it was down, because
 * the log, not the notification, carries the data.
 */
export class Listener {
  #client: pg.Client | null = null
  #closed = false
  #attempt = 0
  #timer: NodeJS.Timeout | null = null
  #connected: Promise<void> | null = null

  constructor(
    private readonly settings: {
      pool: pg.Pool
      channels: readonly string[]
      onNotification: (channel: string, payload: string | undefined) => void
      onConnect: () => void
      logger: Logger
    },
  ) {}

  /** Connects and LISTENs; resolves after the first successful connection. */
  start(): Promise<void> {
    this.#connected ??= this.#connect(true)
    return this.#connected
  }

  async close(): Promise<void> {
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
    const client = this.#client
    this.#client = null
    if (client) await client.end().catch(() => {})
  }

  async #connect(first: boolean): Promise<void> {
    const options = (this.settings.pool as pg.Pool & { options?: pg.ClientConfig }).options ?? {}
    const client = new pg.Client({ ...options })
    client.on('error', (error) => this.#lost(client, error))
    client.on('end', () => this.#lost(client, null))
    client.on('notification', (message) => this.settings.onNotification(message.channel, message.payload))
    try {
      await client.connect()
      for (const channel of this.settings.channels)
        await client.query(`listen ${pg.escapeIdentifier(channel)}`)
    } catch (error) {
      await client.end().catch(() => {})
      if (first) throw error
      this.#lost(client, error)
      return
    }
    if (this.#closed) {
      await client.end().catch(() => {})
      return
    }
    this.#client = client
    this.#attempt = 0
    this.settings.onConnect()
  }

  #lost(client: pg.Client, error: unknown) {
    if (this.#closed || (this.#client !== client && this.#client !== null)) return
    this.#client = null
    if (error) this.settings.logger.warn('realtime: LISTEN connection lost; reconnecting', error)
    if (this.#timer) return
    const delay = Math.min(30_000, 100 * 2 ** this.#attempt++)
    this.#timer = setTimeout(() => {
      this.#timer = null
      if (!this.#closed) void this.#connect(false)
    }, delay)
    this.#timer.unref?.()
  }
}
