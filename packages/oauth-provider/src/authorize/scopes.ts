import { OAuthProviderError } from '../errors'

/** Splits a `scope` parameter (RFC 6749 §3.3: space-delimited, case-sensitive) into unique tokens. */
export function parseScope(scope: string | null | undefined): string[] {
  if (!scope) return []
  if (scope.length > 2000) throw new OAuthProviderError('OAUTH_INVALID_SCOPE', 'scope is too long')
  return [...new Set(scope.split(' ').filter((token) => token !== ''))]
}

/**
 * The scope a request gets: what it asked (or, when it asked nothing, everything the client is
 * registered with), each of which the client must be allowed; 400 `invalid_scope` otherwise.
 */
export function grantedScopes(requested: readonly string[], allowed: string): string[] {
  const permitted = parseScope(allowed)
  if (requested.length === 0) return permitted
  const refused = requested.find((scope) => !permitted.includes(scope))
  if (refused !== undefined) {
    throw new OAuthProviderError(
      'OAUTH_INVALID_SCOPE',
      `The client may not ask for the scope "${refused.slice(0, 64)}"`,
    )
  }
  return [...requested]
}
