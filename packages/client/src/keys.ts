/**
 * `@groundwork/client/keys`: the signed-in user's own API keys (`/auth/v1/user/api-keys`) — for a
 * "developer settings" page where users mint keys for their scripts. A key acts as its user,
 * narrowed by `scopes` and `allowed_tables`; its plaintext is returned once, at creation.
 *
 * @see https://github.com/groundwork/groundwork/blob/main/docs/auth.md — apps and API keys
 */
import type { GroundworkConnection } from './connection'
import { type ClientResult, callJson } from './errors'

/** What a key may do; null on a key: not narrowed (the role and RLS decide). */
export type ApiKeyScope = 'read' | 'write' | 'admin'

/** A key as listed: everything but the key itself. */
export interface UserApiKey {
  id: string
  name: string
  type: 'publishable' | 'secret' | 'app'
  /** The first characters of the key, to recognise it. */
  prefix: string
  app_id: string | null
  user_id: string | null
  scopes: ApiKeyScope[] | null
  /** Schema-qualified tables (and functions) the key may touch; null: any. */
  allowed_tables: string[] | null
  rate_limit: { requests: number; window_seconds: number } | null
  expires_at: string | null
  last_used_at: string | null
  revoked_at: string | null
  created_at: string
  updated_at: string
}

/** A key just created: the plaintext `key` is shown this once and never again. */
export interface CreatedUserApiKey extends UserApiKey {
  key: string
}

/** What {@link KeysClient.create} sends. */
export interface CreateUserApiKeyInput {
  name: string
  /** One of the user's own apps. */
  app_id?: string | null
  /** @default ['read'] */
  scopes?: ApiKeyScope[] | null
  /** e.g. `['public.todos']`; null: any table RLS lets the user reach. */
  allowed_tables?: string[] | null
  expires_at?: string | Date | null
}

/** What {@link createKeysClient} returns. */
export interface KeysClient {
  list(): Promise<ClientResult<UserApiKey[]>>
  create(input: CreateUserApiKeyInput): Promise<ClientResult<CreatedUserApiKey>>
  /** Revokes a key: refused from the next request on, on every server instance. */
  revoke(id: string): Promise<ClientResult<null>>
}

/**
 * Creates the API-keys client. Needs a signed-in session (a key cannot mint keys).
 *
 * @example
 * ```ts
 * const keys = createKeysClient(connection)
 * const { data } = await keys.create({ name: 'nightly export', scopes: ['read'], allowed_tables: ['public.todos'] })
 * console.log(data?.key) // gw_app_… — store it now
 * ```
 */
export function createKeysClient(connection: GroundworkConnection): KeysClient {
  const url = (path = '') => `${connection.serviceUrl('auth')}/user/api-keys${path}`
  return {
    async list() {
      const result = await callJson<{ keys: UserApiKey[] }>(connection.fetch, url(), { method: 'GET' })
      return result.error ? result : { data: result.data.keys, error: null }
    },
    create: (input) => callJson(connection.fetch, url(), { method: 'POST', body: input }),
    revoke: (id) => callJson(connection.fetch, url(`/${encodeURIComponent(id)}`), { method: 'DELETE' }),
  }
}
