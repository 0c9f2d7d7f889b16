import { createHash } from 'node:crypto'
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose'
import * as oauth from 'oauth4webapi'
import { AuthError, OAuthError } from '../errors'
import type { ProviderDefinition } from './presets'
import { type ExternalProfile, profileFromClaims } from './profile'

/** What a finished code exchange yields. */
export interface ExchangedIdentity {
  profile: ExternalProfile
  /** The provider's access token (`provider_token` in the session, as GoTrue answers it). */
  accessToken: string
  /** The provider's refresh token, when it issued one (`provider_refresh_token`). */
  refreshToken: string | null
}

/** The OAuth/OIDC client of one provider, all protocol work done by `oauth4webapi`. */
export interface ProviderClient {
  readonly definition: ProviderDefinition
  /** The authorization request URL (RFC 6749 §4.1.1 with PKCE S256, RFC 7636 §4.3, and the OIDC `nonce`). */
  authorizationUrl(input: {
    redirectUri: string
    state: string
    codeVerifier: string
    nonce: string | null
    scopes: string[]
    extra: Record<string, string>
  }): Promise<URL>
  /** Validates the callback (state, `iss`, errors), redeems the code, reads the profile. */
  exchange(input: {
    redirectUri: string
    callback: URLSearchParams
    state: string
    codeVerifier: string
    nonce: string | null
  }): Promise<ExchangedIdentity>
  /**
   * Verifies an id_token obtained by a native SDK (`grant_type=id_token`): signature against the
   * issuer's JWKS, `iss`, `aud` (the client id or `additionalClientIds`), `exp`, and the nonce as
   * GoTrue checks it (the token carries the SHA-256 hex of the raw nonce the app passes, or the raw
   * nonce itself).
   */
  verifyIdToken(idToken: string, nonce: string | undefined): Promise<ExternalProfile>
}

/**
 * Plain `http:` is accepted only for loopback hosts (a local identity provider in development and
 * tests); anything else must be `https:`, as oauth4webapi enforces by default.
 */
function isLoopback(url: string): boolean {
  const host = new URL(url).hostname
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null)

/**
 * Turns what a provider answered wrongly into a 4xx the callback can redirect with: the user sees
 * GoTrue's `error_description`, the cause stays on the error for logs.
 */
function providerError(cause: unknown, message: string): AuthError {
  if (cause instanceof AuthError || cause instanceof OAuthError) return cause as AuthError
  if (cause instanceof oauth.AuthorizationResponseError) {
    return new AuthError('bad_oauth_callback', cause.error_description ?? cause.error, {
      status: 400,
      cause,
    })
  }
  return new AuthError('bad_oauth_callback', message, { status: 400, cause })
}

/** Builds the {@link ProviderClient} of a resolved provider. */
export function createProviderClient(definition: ProviderDefinition): ProviderClient {
  const { options } = definition
  const client: oauth.Client = { client_id: options.clientId }
  const insecure = (url: string) => (isLoopback(url) ? { [oauth.allowInsecureRequests]: true } : {})

  // Discovery once per process (retried after a failure); oauth4webapi keeps the JWKS of each
  // `AuthorizationServer` object, so reusing it reuses the keys.
  let discovered: Promise<oauth.AuthorizationServer> | undefined
  function server(): Promise<oauth.AuthorizationServer> {
    if (definition.kind === 'oauth2') {
      return Promise.resolve({
        issuer: definition.issuer,
        authorization_endpoint: definition.authorizationUrl,
        token_endpoint: definition.tokenUrl,
      })
    }
    discovered ??= (async () => {
      const issuer = new URL(definition.issuer)
      const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure(issuer.href) })
      return oauth.processDiscoveryResponse(issuer, response)
    })().catch((cause: unknown) => {
      discovered = undefined
      throw new AuthError('unexpected_failure', `could not read ${definition.issuer}'s discovery document`, {
        status: 500,
        cause,
      })
    })
    return discovered
  }

  function clientAuth(as: oauth.AuthorizationServer): oauth.ClientAuth {
    const secret = options.secret
    if (!secret) {
      throw new AuthError('provider_disabled', `Provider ${definition.name} has no client secret`, {
        status: 400,
      })
    }
    const methods = as.token_endpoint_auth_methods_supported
    if (definition.kind === 'oauth2') return oauth.ClientSecretPost(secret)
    return methods && !methods.includes('client_secret_basic')
      ? oauth.ClientSecretPost(secret)
      : oauth.ClientSecretBasic(secret)
  }

  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined

  return {
    definition,
    async authorizationUrl(input) {
      const as = await server()
      const endpoint = as.authorization_endpoint
      if (!endpoint) throw new AuthError('unexpected_failure', 'the provider has no authorization endpoint')
      const url = new URL(endpoint)
      const scopes = [...new Set([...definition.scopes, ...input.scopes])]
      for (const [key, value] of Object.entries(input.extra)) url.searchParams.set(key, value)
      for (const [key, value] of Object.entries(definition.authorizationParams))
        url.searchParams.set(key, value)
      url.searchParams.set('client_id', options.clientId)
      url.searchParams.set('redirect_uri', input.redirectUri)
      url.searchParams.set('response_type', 'code')
      if (scopes.length > 0) url.searchParams.set('scope', scopes.join(' '))
      url.searchParams.set('state', input.state)
      url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(input.codeVerifier))
      url.searchParams.set('code_challenge_method', 'S256')
      if (input.nonce) url.searchParams.set('nonce', input.nonce)
      return url
    },

    async exchange(input) {
      const as = await server()
      let params: URLSearchParams
      try {
        params = oauth.validateAuthResponse(as, client, input.callback, input.state)
      } catch (cause) {
        throw providerError(cause, 'invalid authorization response')
      }
      let tokens: oauth.TokenEndpointResponse
      try {
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          client,
          clientAuth(as),
          params,
          input.redirectUri,
          input.codeVerifier,
          insecure(as.token_endpoint ?? as.issuer),
        )
        tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
          ...(definition.kind === 'oidc'
            ? { expectedNonce: input.nonce ?? oauth.expectNoNonce, requireIdToken: true }
            : {}),
        })
      } catch (cause) {
        throw providerError(cause, 'Error getting user profile from external provider')
      }
      const refreshToken = str(tokens.refresh_token)
      if (definition.kind === 'oauth2') {
        const read = async (url: string) => {
          const response = await oauth.protectedResourceRequest(
            tokens.access_token,
            'GET',
            new URL(url),
            new Headers({ accept: 'application/json' }),
            null,
            insecure(url),
          )
          if (!response.ok) throw new Error(`${url} answered ${response.status}`)
          return response.json()
        }
        let profile: ExternalProfile
        try {
          profile = await definition.profile(read)
        } catch (cause) {
          throw providerError(cause, 'Error getting user profile from external provider')
        }
        if (!profile.id) throw providerError(null, 'The provider did not return a user id')
        return { profile, accessToken: tokens.access_token, refreshToken }
      }
      const claims = oauth.getValidatedIdTokenClaims(tokens) as Record<string, unknown> | undefined
      if (!claims) throw providerError(null, 'The provider did not return an id_token')
      let merged: Record<string, unknown> = claims
      if (as.userinfo_endpoint && typeof claims.email !== 'string') {
        // OIDC Core §5.3: many providers put profile claims only in userinfo; an id_token that
        // already names the email spares the round trip.
        try {
          const response = await oauth.userInfoRequest(
            as,
            client,
            tokens.access_token,
            insecure(as.userinfo_endpoint),
          )
          const userinfo = await oauth.processUserInfoResponse(as, client, String(claims.sub), response)
          merged = { ...claims, ...userinfo }
        } catch (cause) {
          throw providerError(cause, 'Error getting user profile from external provider')
        }
      }
      return { profile: profileFromClaims(merged), accessToken: tokens.access_token, refreshToken }
    },

    async verifyIdToken(idToken, nonce) {
      if (definition.kind !== 'oidc') {
        throw new OAuthError('invalid_request', `Provider ${definition.name} does not issue id_tokens`)
      }
      const as = await server()
      if (!as.jwks_uri) throw new AuthError('unexpected_failure', 'the provider publishes no jwks_uri')
      jwks ??= createRemoteJWKSet(new URL(as.jwks_uri))
      let payload: JWTPayload
      try {
        ;({ payload } = await jwtVerify(idToken, jwks, {
          issuer: as.issuer,
          audience: [options.clientId, ...options.additionalClientIds],
        }))
      } catch (cause) {
        throw Object.assign(new OAuthError('invalid_request', 'Bad ID token'), { cause })
      }
      if (!options.skipNonceCheck) {
        const tokenNonce = typeof payload.nonce === 'string' ? payload.nonce : ''
        const given = nonce ?? ''
        if ((tokenNonce === '') !== (given === '')) {
          throw new OAuthError(
            'invalid_request',
            'Passed nonce and nonce in id_token should either both exist or not.',
          )
        }
        if (given !== '') {
          const hashed = createHash('sha256').update(given).digest('hex')
          if (tokenNonce !== hashed && tokenNonce !== given) {
            throw new OAuthError('invalid_request', 'Nonces mismatch')
          }
        }
      }
      const profile = profileFromClaims(payload as Record<string, unknown>)
      if (!profile.id) throw new OAuthError('invalid_request', 'Bad ID token')
      return profile
    },
  }
}
