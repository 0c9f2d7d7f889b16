import type { ClientRow } from '../clients/model'
import { OAuthProviderError } from '../errors'
import type { ResolvedOAuthProviderOptions } from '../options-schema'
import { validChallenge } from './pkce'
import { grantedScopes, parseScope } from './scopes'

/** An authorization request's checked parameters. */
export interface AuthorizationRequest {
  scopes: string[]
  challenge: string
  method: 'S256' | 'plain'
  resource: string | null
}

/**
 * Checks the parameters of an authorization request whose client and redirect URI are already
 * known good (RFC 6749 §4.1.1): `response_type=code`, a client allowed the code grant, PKCE (RFC
 * 7636 §4.3; S256 unless `allowPlainPkce`), scopes the client may ask for, a valid `resource`
 * (RFC 8707), and no `prompt=none` (the user's session is the host client's, not a cookie here:
 * `login_required`, OIDC Core §3.1.2.6). Throws the RFC error, which the caller redirects.
 */
export function parseAuthorizationRequest(
  client: ClientRow,
  single: (name: string) => string | null,
  options: Pick<ResolvedOAuthProviderOptions, 'allowPlainPkce' | 'resources'>,
): AuthorizationRequest {
  if (single('response_type') !== 'code') {
    throw new OAuthProviderError('OAUTH_UNSUPPORTED_RESPONSE_TYPE', 'Only response_type=code is supported')
  }
  if (!client.grant_types.includes('authorization_code')) {
    throw new OAuthProviderError(
      'OAUTH_UNAUTHORIZED_CLIENT',
      'The client may not use the authorization code grant',
    )
  }
  const challenge = single('code_challenge')
  const method = single('code_challenge_method') ?? 'plain'
  if (!challenge) throw new OAuthProviderError('OAUTH_INVALID_REQUEST', 'code_challenge is required (PKCE)')
  if (method !== 'S256' && !(method === 'plain' && options.allowPlainPkce)) {
    throw new OAuthProviderError('OAUTH_INVALID_REQUEST', 'code_challenge_method must be S256')
  }
  if (!validChallenge(challenge, method as 'S256' | 'plain')) {
    throw new OAuthProviderError('OAUTH_INVALID_REQUEST', 'code_challenge is malformed')
  }
  const scopes = grantedScopes(parseScope(single('scope')), client.scope)
  const resource = single('resource')
  if (resource !== null) assertResource(resource, options.resources)
  if (parseScope(single('prompt')).includes('none')) {
    throw new OAuthProviderError('OAUTH_LOGIN_REQUIRED', 'prompt=none cannot be satisfied here')
  }
  return { scopes, challenge, method: method as 'S256' | 'plain', resource }
}

/**
 * RFC 8707 §2: a resource is an absolute URI without a fragment; when the provider lists its
 * resources, one of them. 400 `invalid_target` otherwise.
 */
export function assertResource(resource: string, allowed: readonly string[] | undefined): void {
  const ok =
    URL.canParse(resource) &&
    !resource.includes('#') &&
    (allowed ? allowed.includes(resource) : /^https?:\/\//i.test(resource))
  if (!ok) throw new OAuthProviderError('OAUTH_INVALID_TARGET', 'resource is not a resource of this server')
}
