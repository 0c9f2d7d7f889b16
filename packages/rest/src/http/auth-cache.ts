import type { Authenticate, Principal } from '@groundwork/core'

const MAX_ENTRIES = 10_000

/**
 * Wraps `authenticate` so a successful result is reused for the same credentials for up to
 * `maxLifetime` seconds and never past the token's `exp` claim — PostgREST's
 * `jwt-cache-max-lifetime`. Failures are never cached; requests without credentials are not cached
 * (they are cheap). The oldest entry is evicted beyond 10,000 distinct credentials.
 *
 * @see https://docs.postgrest.org/en/v14/references/configuration.html#jwt-cache-max-lifetime
 */
export function cachedAuthenticate(authenticate: Authenticate, maxLifetime: number): Authenticate {
  if (maxLifetime <= 0) return authenticate
  const cache = new Map<string, { principal: Principal; until: number }>()
  return async (request) => {
    const authorization = request.headers.get('authorization')
    const apikey = request.headers.get('apikey')
    if (!authorization && !apikey) return authenticate(request)
    const key = `${authorization ?? ''}\u0000${apikey ?? ''}`
    const now = Date.now()
    const hit = cache.get(key)
    if (hit) {
      if (hit.until > now) return hit.principal
      cache.delete(key)
    }
    const principal = await authenticate(request)
    const exp = principal.claims.exp
    const until = Math.min(
      now + maxLifetime * 1000,
      typeof exp === 'number' ? exp * 1000 : Number.POSITIVE_INFINITY,
    )
    if (until > now) {
      if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string)
      cache.set(key, { principal, until })
    }
    return principal
  }
}
