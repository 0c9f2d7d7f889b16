import type { ResolvedOAuthProviderOptions } from './options-schema'
import { DATA_SCOPES } from './options-schema'

/**
 * The authorization server's metadata: RFC 8414 (also served as OIDC Discovery 1.0's
 * `openid-configuration`, a superset). Every URL is the issuer's.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata
 */
export function authorizationServerMetadata(options: ResolvedOAuthProviderOptions): Record<string, unknown> {
  const { issuer } = options
  return {
    issuer,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/oauth/token`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    userinfo_endpoint: `${issuer}/oauth/userinfo`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    ...(options.dynamicRegistration ? { registration_endpoint: `${issuer}/oauth/clients/register` } : {}),
    scopes_supported: [...options.scopes, ...DATA_SCOPES],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_methods_supported: [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
      'none',
    ],
    token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    revocation_endpoint_auth_methods_supported: [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
      'none',
    ],
    introspection_endpoint_auth_methods_supported: [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ],
    code_challenge_methods_supported: options.allowPlainPkce ? ['S256', 'plain'] : ['S256'],
    authorization_response_iss_parameter_supported: true,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [options.idTokenAlgorithm],
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'nonce',
      'at_hash',
      'amr',
      'azp',
      'name',
      'given_name',
      'family_name',
      'nickname',
      'preferred_username',
      'picture',
      'website',
      'locale',
      'updated_at',
      'email',
      'email_verified',
      'phone_number',
      'phone_number_verified',
    ],
    prompt_values_supported: ['none', 'login', 'consent'],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
  }
}

/**
 * RFC 9728 protected-resource metadata for `resource` (e.g. the host's `/rest/v1`): which
 * authorization server issues its tokens, and how to present them.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-2
 */
export function protectedResourceMetadata(
  options: ResolvedOAuthProviderOptions,
  resource: string,
): Record<string, unknown> {
  return {
    resource,
    authorization_servers: [options.issuer],
    jwks_uri: `${options.issuer}/.well-known/jwks.json`,
    bearer_methods_supported: ['header'],
    scopes_supported: [...options.scopes, ...DATA_SCOPES],
  }
}
