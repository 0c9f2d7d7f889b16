import type { Database } from '@groundwork/core'
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose'
import { OAuthProviderError } from '../errors'
import { secretMatches } from '../internal/secrets'
import type { ClientRow } from './model'
import type { ClientStore } from './store'

/** RFC 7523's assertion type for `private_key_jwt`. */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** What the token, revocation and introspection endpoints authenticate a client from. */
export interface ClientCredentialsInput {
  /** The `Authorization` header. */
  authorization: string | null
  /** The form parameters. */
  params: URLSearchParams
}

/**
 * Authenticates the client of a token-endpoint request with the method it registered — and only
 * that one: `client_secret_basic` (RFC 6749 §2.3.1, the id and secret form-urlencoded before
 * base64), `client_secret_post`, `private_key_jwt` (RFC 7523 §2.2: `iss` = `sub` = client id,
 * `aud` the issuer or the endpoint, unexpired, `jti` used once) or `none` (a public client, which
 * then must use PKCE). Secrets are compared in constant time against their SHA-256. Any failure is
 * 401 `invalid_client` with `WWW-Authenticate: Basic` (§5.2), the same answer whatever was wrong.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3
 */
export function createClientAuthenticator(deps: {
  db: Database
  clients: ClientStore
  /** Audiences a client assertion may name: the issuer and the endpoint URLs. */
  audiences: readonly string[]
}) {
  const { db, clients, audiences } = deps

  const failure = (why = 'Client authentication failed') =>
    new OAuthProviderError('OAUTH_INVALID_CLIENT', why, {
      headers: { 'WWW-Authenticate': 'Basic realm="oauth"' },
    })

  function basic(header: string): { id: string; secret: string } | null {
    const match = /^basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header)
    if (!match?.[1]) return null
    const decoded = Buffer.from(match[1], 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) return null
    try {
      return {
        id: decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' ')),
        secret: decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' ')),
      }
    } catch {
      return null
    }
  }

  async function assertion(token: string, clientIdParam: string | null): Promise<ClientRow> {
    let sub: string | undefined
    try {
      decodeProtectedHeader(token)
      const [, payload] = token.split('.')
      sub = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')).sub
    } catch {
      throw failure('client_assertion is not a JWT')
    }
    if (typeof sub !== 'string' || (clientIdParam !== null && clientIdParam !== sub)) throw failure()
    const client = await clients.find(sub)
    if (client?.token_endpoint_auth_method !== 'private_key_jwt' || !client.jwks) throw failure()
    let claims: { jti?: unknown; exp?: number }
    try {
      const keys = createLocalJWKSet(client.jwks as unknown as JSONWebKeySet)
      ;({ payload: claims } = await jwtVerify(token, keys, {
        issuer: client.id,
        subject: client.id,
        audience: [...audiences],
        requiredClaims: ['exp', 'jti'],
        maxTokenAge: '10m',
        algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA', 'RS384', 'RS512', 'ES384', 'PS384', 'PS512'],
      }))
    } catch (cause) {
      throw new OAuthProviderError('OAUTH_INVALID_CLIENT', 'client_assertion is invalid', {
        cause,
        headers: { 'WWW-Authenticate': 'Basic realm="oauth"' },
      })
    }
    if (typeof claims.jti !== 'string' || claims.jti.length > 255)
      throw failure('client_assertion jti is invalid')
    const { rowCount } = await db.query(
      `insert into oauth.used_assertions (jti, expires_at) values ($1, to_timestamp($2)) on conflict (jti) do nothing`,
      [`${client.id}:${claims.jti}`.slice(0, 255), claims.exp],
    )
    if (rowCount === 0) throw failure('client_assertion was already used')
    return client
  }

  return async function authenticateClient(input: ClientCredentialsInput): Promise<ClientRow> {
    const { params } = input
    const clientIdParam = params.get('client_id')
    const assertionType = params.get('client_assertion_type')
    const header = input.authorization?.trim() || null
    if (header && /^basic\s/i.test(header)) {
      const credentials = basic(header)
      if (!credentials || params.has('client_secret') || assertionType) throw failure()
      if (clientIdParam !== null && clientIdParam !== credentials.id) throw failure()
      const client = await clients.find(credentials.id)
      const ok = secretMatches(credentials.secret, client?.secret_hash ?? null)
      if (!client || !ok || client.token_endpoint_auth_method !== 'client_secret_basic') throw failure()
      return client
    }
    if (assertionType !== null) {
      const token = params.get('client_assertion')
      if (assertionType !== JWT_BEARER_ASSERTION || !token) throw failure('Unsupported client_assertion_type')
      return assertion(token, clientIdParam)
    }
    if (!clientIdParam) throw failure('Client authentication is required')
    const client = await clients.find(clientIdParam)
    const secret = params.get('client_secret')
    if (secret !== null) {
      const ok = secretMatches(secret, client?.secret_hash ?? null)
      if (!client || !ok || client.token_endpoint_auth_method !== 'client_secret_post') throw failure()
      return client
    }
    if (client?.token_endpoint_auth_method !== 'none') throw failure()
    return client
  }
}

/** The function {@link createClientAuthenticator} returns. */
export type ClientAuthenticator = ReturnType<typeof createClientAuthenticator>
