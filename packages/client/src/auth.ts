/**
 * `@groundwork/client/auth`: `@supabase/auth-js` pointed at `/auth/v1` (Groundwork's auth speaks
 * the GoTrue API), made the token source of the connection so every other module sends the
 * signed-in user's access token — refreshed by auth-js before it expires.
 *
 * @see https://supabase.com/docs/reference/javascript/auth-api
 */
import { AuthClient, type GoTrueClientOptions } from '@supabase/auth-js'
import type { GroundworkConnection } from './connection'

/** The auth-js client. */
export type GroundworkAuthClient = InstanceType<typeof AuthClient>

/** Options of {@link createAuthClient}: auth-js's own, minus what the connection decides. */
export type AuthClientOptions = Omit<GoTrueClientOptions, 'url' | 'headers' | 'fetch'>

/**
 * Creates the auth client and makes it the connection's token source: REST, storage, push, keys,
 * oauth and realtime requests then carry `Authorization: Bearer <access token>` while a session
 * exists (and the project key otherwise). `persistSession` and `autoRefreshToken` default to true in
 * browsers, as in supabase-js; in Node there is no `localStorage`, so a session lives in memory.
 *
 * @example
 * ```ts
 * const connection = createConnection(url, publishableKey)
 * const auth = createAuthClient(connection)
 * await auth.signInWithPassword({ email, password })
 * const rest = createRestClient(connection) // now queries as the signed-in user
 * ```
 * @see https://github.com/supabase/supabase-js/tree/master/packages/core/auth-js
 */
export function createAuthClient(
  connection: GroundworkConnection,
  options: AuthClientOptions = {},
): GroundworkAuthClient {
  const auth = new AuthClient({
    // Unique per server, so two clients for two servers in one browser keep separate sessions.
    storageKey: `gw-${new URL(connection.url).host}-auth-token`,
    ...options,
    url: connection.serviceUrl('auth'),
    headers: { ...connection.headers, apikey: connection.key },
    // auth-js sets `Authorization` itself where a call needs the user's token.
    fetch: connection.baseFetch,
  })
  // getSession() returns the stored session, refreshing it first when it is (about to be) expired.
  connection.setAccessTokenSource(async () => (await auth.getSession()).data.session?.access_token)
  auth.onAuthStateChange((event) => {
    if (
      event === 'SIGNED_IN' ||
      event === 'SIGNED_OUT' ||
      event === 'TOKEN_REFRESHED' ||
      event === 'USER_UPDATED'
    ) {
      // Deferred: auth-js holds its lock while it emits; handlers that read the session must wait.
      setTimeout(() => connection.notifyTokenChange(event), 0)
    }
  })
  return auth
}
