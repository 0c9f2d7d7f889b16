/** How a client authenticates at the token endpoint (RFC 8414 `token_endpoint_auth_methods_supported`). */
export type TokenEndpointAuthMethod =
  | 'none'
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'private_key_jwt'

/** Grants a client may use. */
export type OAuthGrantType = 'authorization_code' | 'refresh_token' | 'client_credentials'

/**
 * A client as the admin API answers it — the shape `@supabase/auth-js`'s `OAuthClient` reads,
 * plus Groundwork's `app_id`, `jwks` and `allowed_tables`. `client_secret` only when just created
 * or regenerated (shown once).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1
 */
export interface OAuthClient {
  client_id: string
  app_id: string
  client_name: string
  client_secret?: string
  client_type: 'public' | 'confidential'
  token_endpoint_auth_method: TokenEndpointAuthMethod
  registration_type: 'dynamic' | 'manual'
  client_uri?: string
  logo_uri?: string
  redirect_uris: string[]
  grant_types: OAuthGrantType[]
  response_types: 'code'[]
  scope: string
  jwks?: { keys: Record<string, unknown>[] }
  allowed_tables?: string[]
  created_at: string
  updated_at: string
}

/** A row of `oauth.clients`. */
export interface ClientRow {
  id: string
  app_id: string
  client_name: string
  client_uri: string | null
  logo_uri: string | null
  client_type: 'public' | 'confidential'
  token_endpoint_auth_method: TokenEndpointAuthMethod
  registration_type: 'dynamic' | 'manual'
  redirect_uris: string[]
  grant_types: OAuthGrantType[]
  scope: string
  secret_hash: string | null
  jwks: { keys: Record<string, unknown>[] } | null
  allowed_tables: string[] | null
  created_at: Date
  updated_at: Date
}

/** The columns of {@link ClientRow}. */
export const CLIENT_COLUMNS =
  'id, app_id, client_name, client_uri, logo_uri, client_type, token_endpoint_auth_method, registration_type, ' +
  'redirect_uris, grant_types, scope, secret_hash, jwks, allowed_tables, created_at, updated_at'

/** The admin API's JSON of a client row (never its secret hash). */
export function toClient(row: ClientRow, secret?: string): OAuthClient {
  return {
    client_id: row.id,
    app_id: row.app_id,
    client_name: row.client_name,
    ...(secret ? { client_secret: secret } : {}),
    client_type: row.client_type,
    token_endpoint_auth_method: row.token_endpoint_auth_method,
    registration_type: row.registration_type,
    ...(row.client_uri ? { client_uri: row.client_uri } : {}),
    ...(row.logo_uri ? { logo_uri: row.logo_uri } : {}),
    redirect_uris: row.redirect_uris,
    grant_types: row.grant_types,
    response_types: row.grant_types.includes('authorization_code') ? ['code'] : [],
    scope: row.scope,
    ...(row.jwks ? { jwks: row.jwks } : {}),
    ...(row.allowed_tables ? { allowed_tables: row.allowed_tables } : {}),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  }
}
