/**
 * The one thing every module of `@groundwork/client` shares: where the server is, the project key,
 * and whose access token to send. The auth module installs itself as the token source, so the
 * REST, storage, push, keys, oauth and realtime modules pick up the signed-in session (refreshed by
 * `@supabase/auth-js` before it expires) without knowing about auth. Web APIs only.
 *
 * @see https://supabase.com/docs/reference/javascript/initializing — the same `(url, key)` contract
 */
import { GroundworkClientError } from './errors'

/** Returns the access token to send, or null for "none: send the project key". */
export type AccessTokenSource = () => Promise<string | null | undefined> | string | null | undefined

/** Options of {@link createConnection}. */
export interface ConnectionOptions {
  /** Headers sent with every request of every module (e.g. `x-client-info`). @default {} */
  headers?: Record<string, string>
  /** The fetch every module uses. @default globalThis.fetch */
  fetch?: typeof fetch
  /**
   * Where the tokens come from when you do not use the auth module (a third-party auth provider,
   * or a server-side script holding a user's token). Used by `createAuthClient` otherwise.
   * @default the auth module's session, else the project key
   */
  accessToken?: AccessTokenSource
  /**
   * Where each service is mounted, relative to `url` (or absolute).
   * @default { auth: '/auth/v1', rest: '/rest/v1', storage: '/storage/v1', realtime: '/realtime/v1', push: '/push/v1' }
   */
  paths?: Partial<ServicePaths>
}

/** Mount points of the services a connection talks to. */
export interface ServicePaths {
  auth: string
  rest: string
  storage: string
  realtime: string
  push: string
}

/** Why the access token changed (auth-js's event names, for the modules that hold streams). */
export type TokenChange = 'SIGNED_IN' | 'SIGNED_OUT' | 'TOKEN_REFRESHED' | 'USER_UPDATED'

/** What {@link createConnection} returns: shared by every module created from it. */
export interface GroundworkConnection {
  /** The server's base URL, without a trailing slash. */
  readonly url: string
  /** The project key (publishable / anon key, or a `gw_…` API key), sent as `apikey`. */
  readonly key: string
  /** Headers every request carries (besides `apikey` / `Authorization`). */
  readonly headers: Readonly<Record<string, string>>
  /** The plain fetch (no headers added): for clients that manage their own `Authorization`. */
  readonly baseFetch: typeof fetch
  /**
   * A fetch that adds `apikey` and `Authorization: Bearer <session token or key>` unless the
   * request already carries them — what REST, storage, push, keys and oauth use.
   */
  readonly fetch: typeof fetch
  /** The full URL of a service, e.g. `serviceUrl('rest')` → `https://api.example.com/rest/v1`. */
  serviceUrl(service: keyof ServicePaths): string
  /** The token requests send now: the session's access token (refreshed when due), else the key. */
  accessToken(): Promise<string>
  /** Installs the token source (the auth module does); null removes it. */
  setAccessTokenSource(source: AccessTokenSource | null): void
  /** Tells token holders (realtime streams) that the identity or token changed. */
  notifyTokenChange(change: TokenChange): void
  /** Subscribes to {@link notifyTokenChange}; returns the unsubscribe function. */
  onTokenChange(listener: (change: TokenChange) => void): () => void
}

const DEFAULT_PATHS: ServicePaths = {
  auth: '/auth/v1',
  rest: '/rest/v1',
  storage: '/storage/v1',
  realtime: '/realtime/v1',
  push: '/push/v1',
}

/**
 * Creates the connection the modules share.
 *
 * @example
 * ```ts
 * import { createConnection } from '@groundwork/client/connection'
 * import { createRestClient } from '@groundwork/client/rest'
 *
 * const connection = createConnection('https://api.example.com', publishableKey)
 * const rest = createRestClient<Database>(connection)
 * const { data } = await rest.from('todos').select('id, title')
 * ```
 */
export function createConnection(
  url: string,
  key: string,
  options: ConnectionOptions = {},
): GroundworkConnection {
  const base = parseBaseUrl(url)
  if (typeof key !== 'string' || key.length === 0) {
    throw new GroundworkClientError(0, 'CLIENT_INVALID_OPTIONS', 'key: the project key is required')
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new GroundworkClientError(0, 'CLIENT_INVALID_OPTIONS', 'fetch: must be a function')
  }
  const baseFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const headers = { ...(options.headers ?? {}) }
  const paths = { ...DEFAULT_PATHS, ...(options.paths ?? {}) }
  let source: AccessTokenSource | null = options.accessToken ?? null
  const listeners = new Set<(change: TokenChange) => void>()

  const connection: GroundworkConnection = {
    url: base,
    key,
    headers,
    baseFetch,
    serviceUrl(service) {
      const path = paths[service]
      if (/^https?:\/\//.test(path)) return path.replace(/\/+$/, '')
      return `${base}/${path.replace(/^\/+|\/+$/g, '')}`
    },
    async accessToken() {
      const token = source ? await source() : null
      return token || key
    },
    setAccessTokenSource(next) {
      source = next
    },
    notifyTokenChange(change) {
      for (const listener of listeners) listener(change)
    },
    onTokenChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    // Same rule as supabase-js's fetchWithAuth: never override what the caller set explicitly.
    fetch: async (input, init) => {
      const request = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined))
      for (const [name, value] of Object.entries(headers)) if (!request.has(name)) request.set(name, value)
      if (!request.has('apikey')) request.set('apikey', key)
      if (!request.has('authorization'))
        request.set('authorization', `Bearer ${await connection.accessToken()}`)
      return baseFetch(input, { ...init, headers: request })
    },
  }
  return connection
}

function parseBaseUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new GroundworkClientError(0, 'CLIENT_INVALID_OPTIONS', `url: not an absolute URL: ${String(url)}`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new GroundworkClientError(0, 'CLIENT_INVALID_OPTIONS', 'url: must be an http: or https: URL')
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`
}
