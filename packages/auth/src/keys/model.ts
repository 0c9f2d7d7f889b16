import type { ApiKeyType } from './format'

/** The scopes a key may be narrowed to (core's `assertAccess` enforces them). */
export type ApiKeyScope = 'read' | 'write' | 'admin'

/** A request budget: at most `requests` per fixed window of `window_seconds`. */
export interface ApiRateLimit {
  requests: number
  window_seconds: number
}

/** An app as `auth.api.apps` and `/admin/apps` answer it. */
export interface App {
  id: string
  name: string
  description: string | null
  /** The user the app's keys act as by default; deleting that user is refused while the app exists. */
  owner_id: string | null
  /** The budget every key of the app shares, across all instances; null: none. */
  rate_limit: ApiRateLimit | null
  created_at: string
  updated_at: string
}

/** An API key as listed: everything but the key itself. */
export interface ApiKey {
  id: string
  name: string
  type: ApiKeyType
  /** `gw_<type>_<id>`: the first characters of the key, to recognise it. */
  prefix: string
  app_id: string | null
  /** The user an app key acts as (`sub`); null for publishable and secret keys. */
  user_id: string | null
  /** What the key may do; null: not narrowed (the role and RLS decide). */
  scopes: ApiKeyScope[] | null
  /** Schema-qualified tables (and RPC functions) the key may touch; null: any. */
  allowed_tables: string[] | null
  /** The key's own budget, on top of its app's; null: none. */
  rate_limit: ApiRateLimit | null
  expires_at: string | null
  /** When the key was last used, to within a few seconds (written in batches). */
  last_used_at: string | null
  revoked_at: string | null
  created_at: string
  updated_at: string
}

/** A key just created: {@link ApiKey} and the plaintext `key`, returned this once and never again. */
export interface CreatedApiKey extends ApiKey {
  key: string
}

/** A row of `auth.apps`. */
export interface AppRow {
  id: string
  name: string
  description: string | null
  owner_id: string | null
  rate_limit_requests: number | null
  rate_limit_window_seconds: number | null
  created_at: Date
  updated_at: Date
}

/** A row of `auth.api_keys` (without `secret_hash`, which never leaves the key store). */
export interface ApiKeyRow {
  id: string
  name: string
  type: ApiKeyType
  app_id: string | null
  user_id: string | null
  prefix: string
  scopes: ApiKeyScope[] | null
  allowed_tables: string[] | null
  rate_limit_requests: number | null
  rate_limit_window_seconds: number | null
  expires_at: Date | null
  last_used_at: Date | null
  revoked_at: Date | null
  created_at: Date
  updated_at: Date
}

/** The columns of {@link ApiKeyRow}, for `select`. */
export const API_KEY_COLUMNS =
  'id, name, type, app_id, user_id, prefix, scopes, allowed_tables, rate_limit_requests, ' +
  'rate_limit_window_seconds, expires_at, last_used_at, revoked_at, created_at, updated_at'

/** The columns of {@link AppRow}, for `select`. */
export const APP_COLUMNS =
  'id, name, description, owner_id, rate_limit_requests, rate_limit_window_seconds, created_at, updated_at'

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null)

function rateLimitOf(row: {
  rate_limit_requests: number | null
  rate_limit_window_seconds: number | null
}): ApiRateLimit | null {
  return row.rate_limit_requests !== null && row.rate_limit_window_seconds !== null
    ? { requests: row.rate_limit_requests, window_seconds: row.rate_limit_window_seconds }
    : null
}

/** The JSON of an app row. */
export function toApp(row: AppRow): App {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    owner_id: row.owner_id,
    rate_limit: rateLimitOf(row),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  }
}

/** The JSON of a key row. */
export function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    prefix: row.prefix,
    app_id: row.app_id,
    user_id: row.user_id,
    scopes: row.scopes,
    allowed_tables: row.allowed_tables,
    rate_limit: rateLimitOf(row),
    expires_at: iso(row.expires_at),
    last_used_at: iso(row.last_used_at),
    revoked_at: iso(row.revoked_at),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  }
}
