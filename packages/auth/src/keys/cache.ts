import type { Queryable } from '../db'
import type { ApiKeyType } from './format'
import type { ApiKeyScope } from './model'

/** A request budget of an app or a key, as the lease manager spends it. */
export interface Budget {
  /** The id of the app or key (the `auth.api_usage` row's `bucket`). */
  readonly bucket: string
  readonly limit: number
  readonly windowSeconds: number
  /** Whose budget it is, for the 429's message. */
  readonly owner: 'app' | 'key'
}

/**
 * What the cache holds about a key: only what never changes after creation (hash, type, user,
 * app, scopes, allowed tables, expiry), plus the budgets and a revocation already seen. Whether
 * the key may be used *now* is never decided from it alone: every request runs
 * `auth.assert_api_key` in its own transaction.
 */
export interface KeyRecord {
  readonly id: string
  readonly prefix: string
  readonly type: ApiKeyType
  readonly hash: string
  readonly appId: string | null
  readonly userId: string | null
  readonly scopes: readonly ApiKeyScope[] | undefined
  readonly allowedTables: readonly string[] | undefined
  /** Epoch milliseconds; null: never. */
  readonly expiresAt: number | null
  /** Revoked when read (a later revocation is caught by the per-request check, not here). */
  readonly revoked: boolean
  readonly budgets: readonly Budget[]
}

interface KeyRow {
  id: string
  prefix: string
  type: ApiKeyType
  secret_hash: string
  app_id: string | null
  user_id: string | null
  scopes: ApiKeyScope[] | null
  allowed_tables: string[] | null
  expires_at: Date | null
  revoked: boolean
  key_requests: number | null
  key_window: number | null
  app_requests: number | null
  app_window: number | null
}

const SELECT_KEY = `select k.id, k.prefix, k.type, k.secret_hash, k.app_id, k.user_id, k.scopes, k.allowed_tables,
    k.expires_at, k.revoked_at is not null as revoked,
    k.rate_limit_requests as key_requests, k.rate_limit_window_seconds as key_window,
    a.rate_limit_requests as app_requests, a.rate_limit_window_seconds as app_window
  from auth.api_keys k left join auth.apps a on a.id = k.app_id
  where k.prefix = $1`

function toRecord(row: KeyRow): KeyRecord {
  const budgets: Budget[] = []
  if (row.app_id && row.app_requests !== null && row.app_window !== null) {
    budgets.push({ bucket: row.app_id, limit: row.app_requests, windowSeconds: row.app_window, owner: 'app' })
  }
  if (row.key_requests !== null && row.key_window !== null) {
    budgets.push({ bucket: row.id, limit: row.key_requests, windowSeconds: row.key_window, owner: 'key' })
  }
  return {
    id: row.id,
    prefix: row.prefix,
    type: row.type,
    hash: row.secret_hash,
    appId: row.app_id,
    userId: row.user_id,
    scopes: row.scopes ?? undefined,
    allowedTables: row.allowed_tables ?? undefined,
    expiresAt: row.expires_at ? row.expires_at.getTime() : null,
    revoked: row.revoked,
    budgets,
  }
}

/** The in-memory key cache of one instance; see {@link createKeyCache}. */
export interface KeyCache {
  /** The key with this prefix (null: none), from memory when read less than `ttlMs` ago. */
  get(prefix: string): Promise<KeyRecord | null>
  /** Drops one key (revoked here). */
  dropKey(prefix: string): void
  /** Drops every key of an app (its budget changed, or it was deleted here). */
  dropApp(appId: string): void
  /** Entries held now (for stats and tests). */
  readonly size: number
}

/**
 * A bounded cache of keys by prefix: entries are re-read after `ttlMs` (so a changed app budget
 * reaches every instance within it), the least recently used is evicted past `maxEntries`, and
 * concurrent misses for one prefix share one query. Unknown prefixes are cached too (as null), so
 * a flood of made-up keys costs one query per prefix per TTL, not one per request.
 */
export function createKeyCache(db: Queryable, ttlMs: number, maxEntries: number): KeyCache {
  const entries = new Map<string, { record: KeyRecord | null; until: number }>()
  const loading = new Map<string, Promise<KeyRecord | null>>()

  async function load(prefix: string): Promise<KeyRecord | null> {
    const { rows } = await db.query<KeyRow>(SELECT_KEY, [prefix])
    const record = rows[0] ? toRecord(rows[0]) : null
    if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string)
    entries.set(prefix, { record, until: Date.now() + ttlMs })
    return record
  }

  return {
    get(prefix) {
      const hit = entries.get(prefix)
      if (hit && hit.until > Date.now()) {
        // Most recently used last: eviction takes the first.
        entries.delete(prefix)
        entries.set(prefix, hit)
        return Promise.resolve(hit.record)
      }
      let pending = loading.get(prefix)
      if (!pending) {
        pending = load(prefix).finally(() => loading.delete(prefix))
        loading.set(prefix, pending)
      }
      return pending
    },
    dropKey(prefix) {
      entries.delete(prefix)
    },
    dropApp(appId) {
      for (const [prefix, entry] of entries) if (entry.record?.appId === appId) entries.delete(prefix)
    },
    get size() {
      return entries.size
    },
  }
}
