import type { Database, JwtClaims, Logger } from '@groundwork/core'
import type { Connection, RealtimeStreamErrorCode } from './connection'

/**
 * The Postgres NOTIFY channel on which an authenticator announces ended credentials (the contract
 * in docs/realtime.md; `@groundwork/auth` sends on it from triggers). Payload, JSON:
 * `{ "kind": "session", "session_id", "user_id" }`, `{ "kind": "user_banned" | "user_deleted",
 * "user_id" }` or `{ "kind": "api_key", "key_id" }`.
 */
export const REVOCATIONS_CHANNEL = 'groundwork_revocations'

/** What ended: one session, every session of a user, or an API key. */
export type RevocationKind = 'session' | 'user_banned' | 'user_deleted' | 'api_key'

/** A parsed `groundwork_revocations` payload. */
export interface Revocation {
  kind: RevocationKind
  sessionId?: string
  userId?: string
  keyId?: string
}

/** Per kind: the stream's final error, and which kind wins when one stream matches several at once. */
const ENDING: Record<RevocationKind, { code: RealtimeStreamErrorCode; message: string; rank: number }> = {
  user_deleted: { code: 'REALTIME_USER_DELETED', message: 'The user was deleted', rank: 3 },
  user_banned: { code: 'REALTIME_USER_BANNED', message: 'The user is banned', rank: 2 },
  api_key: { code: 'REALTIME_KEY_REVOKED', message: 'The API key was revoked', rank: 1 },
  session: { code: 'REALTIME_SESSION_REVOKED', message: 'The session was revoked', rank: 0 },
}

/**
 * A revocation received this long ago still ends a stream that registers now: its credentials were
 * checked (by `authenticate`) before it registered, so a NOTIFY arriving in between would miss it.
 */
const RECENT_MS = 10_000
/** How long before a stream began opening its credentials may have been checked. */
const AUTHENTICATION_SLACK_MS = 2_000

/** Reads a `groundwork_revocations` payload; null for anything malformed (ignored). */
export function parseRevocation(payload: string | undefined): Revocation | null {
  let value: unknown
  try {
    value = JSON.parse(payload ?? '')
  } catch {
    return null
  }
  if (!value || typeof value !== 'object') return null
  const { kind, session_id, user_id, key_id } = value as Record<string, unknown>
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v.toLowerCase() : undefined)
  const revocation: Revocation = { kind: kind as RevocationKind }
  const sessionId = text(session_id)
  const userId = text(user_id)
  const keyId = text(key_id)
  if (sessionId) revocation.sessionId = sessionId
  if (userId) revocation.userId = userId
  if (keyId) revocation.keyId = keyId
  switch (kind) {
    case 'session':
      return sessionId ? revocation : null
    case 'user_banned':
    case 'user_deleted':
      return userId ? revocation : null
    case 'api_key':
      return keyId ? revocation : null
    default:
      return null
  }
}

/** Whether a revocation ends credentials with these claims (`session_id`, `sub`, `key_id`). */
export function revokes(revocation: Revocation, claims: JwtClaims): boolean {
  const claim = (name: string) => {
    const value = claims[name]
    return typeof value === 'string' ? value.toLowerCase() : undefined
  }
  switch (revocation.kind) {
    case 'session':
      return claim('session_id') === revocation.sessionId
    case 'user_banned':
    case 'user_deleted':
      return claim('sub') === revocation.userId
    case 'api_key':
      return claim('key_id') === revocation.keyId
  }
}

/**
 * Ends streams whose credentials ended. Revocations arrive on {@link REVOCATIONS_CHANNEL} through
 * the service's LISTEN connection; those of one tick (one transaction's notifications arrive
 * together) are applied together, most specific first, so a deleted user's streams say
 * `REALTIME_USER_DELETED` rather than the `session` revocations its cascade also sent. A NOTIFY
 * sent while the LISTEN connection was down is lost, so after a reconnect {@link recheck} asks the
 * database about every open stream's credentials in one query.
 */
export class Revocations {
  #pending: Revocation[] = []
  #recent: { at: number; revocation: Revocation }[] = []
  #scheduled = false
  /** Streams ended by a revocation, for stats. */
  ended = 0

  constructor(
    private readonly db: Database,
    private readonly connections: ReadonlySet<Connection>,
    private readonly logger: Logger,
  ) {}

  /** A `groundwork_revocations` notification. */
  notify(payload: string | undefined): void {
    const revocation = parseRevocation(payload)
    if (!revocation) {
      this.logger.warn('realtime: ignoring a malformed groundwork_revocations payload')
      return
    }
    this.#pending.push(revocation)
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => this.#flush())
  }

  #flush(): void {
    this.#scheduled = false
    const pending = this.#pending.sort((a, b) => ENDING[b.kind].rank - ENDING[a.kind].rank)
    this.#pending = []
    const now = Date.now()
    this.#recent = this.#recent.filter((entry) => now - entry.at < RECENT_MS)
    for (const revocation of pending) {
      this.#recent.push({ at: now, revocation })
      for (const connection of this.connections) {
        if (revokes(revocation, connection.claims)) this.#end(connection, revocation.kind)
      }
    }
  }

  /**
   * Ends a stream that just registered if a revocation matching it arrived since shortly before it
   * began opening (`openedAt`); true when it did.
   */
  endIfRevoked(connection: Connection, openedAt: number): boolean {
    const since = openedAt - AUTHENTICATION_SLACK_MS
    let kind: RevocationKind | null = null
    for (const { at, revocation } of this.#recent) {
      if (at >= since && revokes(revocation, connection.claims)) {
        if (!kind || ENDING[revocation.kind].rank > ENDING[kind].rank) kind = revocation.kind
      }
    }
    for (const revocation of this.#pending) {
      if (revokes(revocation, connection.claims)) {
        if (!kind || ENDING[revocation.kind].rank > ENDING[kind].rank) kind = revocation.kind
      }
    }
    if (kind) this.#end(connection, kind)
    return kind !== null
  }

  /**
   * Asks the database whether the credentials of any open stream ended (`realtime.revoked_principals`,
   * which delegates to the authenticator's `auth.revoked_principals` when installed) and ends
   * those streams. One query for all streams; none when no stream carries a `sub`, `session_id`
   * or `key_id`.
   */
  async recheck(): Promise<void> {
    const principals: { sub?: string; session_id?: string; key_id?: string }[] = []
    const byKey = new Map<string, Connection[]>()
    for (const connection of this.connections) {
      if (connection.closed) continue
      const principal: { sub?: string; session_id?: string; key_id?: string } = {}
      for (const name of ['sub', 'session_id', 'key_id'] as const) {
        const value = connection.claims[name]
        if (typeof value === 'string' && value !== '') principal[name] = value
      }
      if (!principal.sub && !principal.session_id && !principal.key_id) continue
      const key = JSON.stringify([principal.sub, principal.session_id, principal.key_id])
      let list = byKey.get(key)
      if (!list) {
        list = []
        byKey.set(key, list)
        principals.push(principal)
      }
      list.push(connection)
    }
    if (principals.length === 0) return
    const { rows } = await this.db.query<{ i: number; kind: RevocationKind }>(
      'select i, kind from realtime.revoked_principals($1::jsonb)',
      [JSON.stringify(principals)],
    )
    const lists = [...byKey.values()]
    const worst = new Map<number, RevocationKind>()
    for (const row of rows) {
      if (!(row.kind in ENDING)) continue
      const seen = worst.get(row.i)
      if (!seen || ENDING[row.kind].rank > ENDING[seen].rank) worst.set(row.i, row.kind)
    }
    for (const [index, kind] of worst) {
      for (const connection of lists[index] ?? []) this.#end(connection, kind)
    }
  }

  #end(connection: Connection, kind: RevocationKind): void {
    if (connection.closed) return
    this.ended++
    const { code, message } = ENDING[kind]
    connection.fail(code, message)
  }
}
