import type { Database, JwtClaims } from '@groundwork/core'
import { realtimeError } from '../errors'
import type { Connection } from './connection'
import { sseMessage } from './sse'

/** A row of `realtime.messages` as the page query returns it. */
export interface MessageRow {
  id: number
  topic: string
  extension: 'broadcast' | 'presence'
  event: string | null
  payload: unknown
}

/** What a caller may do on a channel, decided by the RLS policies on `realtime.messages`. */
export interface ChannelPermissions {
  /** SELECT with extension `broadcast`. */
  broadcast: boolean
  /** SELECT with extension `presence`. */
  presence: boolean
  /** INSERT with extension `presence` (only checked when asked to track). */
  track: boolean
}

const PROBE_EVENT = '__groundwork_probe'

/**
 * Broadcast and presence. Messages (sent through the api, the handler, or plain SQL inserts into
 * `realtime.messages`) are read from the log by every instance and written to the connections that
 * joined the topic and were allowed to receive that extension when they joined.
 */
export class ChannelHub {
  readonly #byTopic = new Map<string, Set<Connection>>()

  constructor(private readonly db: Database) {}

  add(connection: Connection): void {
    for (const channel of connection.channels) {
      let set = this.#byTopic.get(channel.topic)
      if (!set) {
        set = new Set()
        this.#byTopic.set(channel.topic, set)
      }
      set.add(connection)
    }
  }

  remove(connection: Connection): void {
    for (const channel of connection.channels) {
      const set = this.#byTopic.get(channel.topic)
      set?.delete(connection)
      if (set?.size === 0) this.#byTopic.delete(channel.topic)
    }
  }

  dispatch(rows: MessageRow[]): void {
    for (const row of rows) {
      if (row.event === PROBE_EVENT) continue
      const connections = this.#byTopic.get(row.topic)
      if (!connections) continue
      let frame: Uint8Array | null = null
      for (const connection of connections) {
        const channel = connection.channels.find((c) => c.topic === row.topic)
        if (!channel || !(row.extension === 'broadcast' ? channel.broadcast : channel.presence)) continue
        frame ??=
          row.extension === 'broadcast'
            ? sseMessage('broadcast', { topic: row.topic, event: row.event, payload: row.payload })
            : sseMessage('presence', {
                topic: row.topic,
                type: row.event,
                ...(typeof row.payload === 'object' && row.payload !== null ? row.payload : {}),
              })
        connection.send(frame)
      }
    }
  }

  /**
   * Supabase's model: in a transaction that is always rolled back, insert probe messages for the
   * topic, switch to the caller's role and claims (with `realtime.topic` set), and see which of them
   * the SELECT policies let it read, and whether its INSERT policy lets it track presence.
   *
   * @see https://supabase.com/docs/guides/realtime/authorization
   */
  async authorize(
    role: string,
    claims: JwtClaims,
    topic: string,
    track: boolean,
  ): Promise<ChannelPermissions> {
    const client = await this.db.pool.connect()
    try {
      await client.query('begin')
      const probes = await client.query<{ id: string; extension: string }>(
        `insert into realtime.messages (topic, extension, event) values ($1, 'broadcast', $2), ($1, 'presence', $2)
         returning id, extension`,
        [topic, PROBE_EVENT],
      )
      await client.query(
        `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
                set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $1, true),
                set_config('realtime.topic', $4, true)`,
        [role, JSON.stringify(claims), typeof claims.sub === 'string' ? claims.sub : '', topic],
      )
      const seen = await client.query<{ extension: string }>(
        'select extension from realtime.messages where id = any($1::bigint[])',
        [probes.rows.map((row) => row.id)],
      )
      const extensions = new Set(seen.rows.map((row) => row.extension))
      let mayTrack = false
      if (track) {
        await client.query('savepoint track_probe')
        try {
          await client.query(
            `insert into realtime.messages (topic, extension, event) values ($1, 'presence', $2)`,
            [topic, PROBE_EVENT],
          )
          mayTrack = true
        } catch (error) {
          if ((error as { code?: string }).code !== '42501') throw error
          await client.query('rollback to savepoint track_probe')
        }
      }
      return { broadcast: extensions.has('broadcast'), presence: extensions.has('presence'), track: mayTrack }
    } catch (error) {
      const code = (error as { code?: string }).code
      if (code === '42501' || code === '22023' || code === '42704') {
        throw realtimeError('REALTIME_FORBIDDEN', `Not allowed to join channel "${topic}"`)
      }
      throw error
    } finally {
      await client.query('rollback').catch(() => {})
      client.release()
    }
  }

  /** Sends a broadcast as `claims` (INSERT policy decides) or, without claims, as the service itself. */
  async broadcast(
    message: { topic: string; event: string; payload?: unknown },
    claims: (JwtClaims & { role: string }) | null,
  ): Promise<void> {
    const sql = `insert into realtime.messages (topic, extension, event, payload) values ($1, 'broadcast', $2, $3::jsonb)`
    const values = [message.topic, message.event, JSON.stringify(message.payload ?? null)]
    if (!claims) {
      await this.db.query(sql, values)
      return
    }
    try {
      await this.db.withClaims(claims, async (tx) => {
        await tx.query("select set_config('realtime.topic', $1, true)", [message.topic])
        await tx.query(sql, values)
      })
    } catch (error) {
      if ((error as { code?: string }).code === '42501') {
        throw realtimeError('REALTIME_FORBIDDEN', `Not allowed to broadcast to channel "${message.topic}"`)
      }
      throw error
    }
  }

  async sync(topic: string, staleMs: number): Promise<Record<string, Record<string, unknown>[]>> {
    const { rows } = await this.db.query<{ key: string; ref: string; state: Record<string, unknown> }>(
      `select p.key, p.ref, p.state from realtime.presence p join realtime.instances i on i.id = p.instance_id
        where p.topic = $1 and i.heartbeat_at > now() - make_interval(secs => $2::float8 / 1000)
        order by p.joined_at, p.ref`,
      [topic, staleMs],
    )
    const presences: Record<string, Record<string, unknown>[]> = {}
    for (const row of rows) {
      presences[row.key] ??= []
      presences[row.key]?.push({ ...row.state, presence_ref: row.ref })
    }
    return presences
  }

  async track(instanceId: string, topic: string, key: string, ref: string, state: unknown): Promise<void> {
    await this.db.query(
      `with p as (
         insert into realtime.presence (topic, key, ref, instance_id, state) values ($1, $2, $3, $4, $5::jsonb)
         returning topic, key, ref, state)
       insert into realtime.messages (topic, extension, event, payload)
       select topic, 'presence', 'join', jsonb_build_object('key', key, 'presence_ref', ref, 'state', state) from p`,
      [topic, key, ref, instanceId, JSON.stringify(state ?? {})],
    )
  }

  async untrack(topic: string, ref: string): Promise<void> {
    await this.db.query(
      `with p as (delete from realtime.presence where topic = $1 and ref = $2 returning topic, key, ref, state)
       insert into realtime.messages (topic, extension, event, payload)
       select topic, 'presence', 'leave', jsonb_build_object('key', key, 'presence_ref', ref, 'state', state) from p`,
      [topic, ref],
    )
  }

  /** Records this instance's heartbeat and makes the presence of silent instances leave. */
  async heartbeat(instanceId: string, staleMs: number): Promise<void> {
    await this.db.query(
      `insert into realtime.instances (id) values ($1) on conflict (id) do update set heartbeat_at = now()`,
      [instanceId],
    )
    await this.db.query(
      `with dead as (
         delete from realtime.instances where heartbeat_at < now() - make_interval(secs => $1::float8 / 1000) returning id),
       gone as (
         delete from realtime.presence p using dead where p.instance_id = dead.id returning p.topic, p.key, p.ref, p.state)
       insert into realtime.messages (topic, extension, event, payload)
       select topic, 'presence', 'leave', jsonb_build_object('key', key, 'presence_ref', ref, 'state', state) from gone`,
      [staleMs],
    )
  }

  /** On shutdown: this instance's presence leaves and its row goes. */
  async leaveAll(instanceId: string): Promise<void> {
    await this.db.query(
      `with gone as (delete from realtime.presence where instance_id = $1 returning topic, key, ref, state),
       msgs as (
         insert into realtime.messages (topic, extension, event, payload)
         select topic, 'presence', 'leave', jsonb_build_object('key', key, 'presence_ref', ref, 'state', state) from gone)
       delete from realtime.instances where id = $1`,
      [instanceId],
    )
  }
}
