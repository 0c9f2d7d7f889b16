import { z } from 'zod'
import { OAuthProviderError } from '../errors'
import { DATA_SCOPES } from '../options-schema'
import type { OAuthGrantType, TokenEndpointAuthMethod } from './model'
import { assertRegistrableRedirectUri } from './redirect-uri'

/** What creating a client takes (auth-js `CreateOAuthClientParams`, RFC 7591 metadata, Groundwork's extras). */
export interface CreateClientInput {
  client_name: string
  client_uri?: string | undefined
  logo_uri?: string | undefined
  redirect_uris?: string[] | undefined
  /** @default ['authorization_code', 'refresh_token'] */
  grant_types?: OAuthGrantType[] | undefined
  response_types?: 'code'[] | undefined
  /** Space-separated scopes the client may ask for. @default the provider's scopes */
  scope?: string | undefined
  /** `none` makes a public client (PKCE only). @default 'client_secret_basic' */
  token_endpoint_auth_method?: TokenEndpointAuthMethod | undefined
  /** Must agree with the method when given (`public` ⇔ `none`). */
  client_type?: 'public' | 'confidential' | undefined
  /** The app the client belongs to; absent: a new app named after the client. */
  app_id?: string | undefined
  /** Public keys of a `private_key_jwt` client (RFC 7523). */
  jwks?: { keys: Record<string, unknown>[] } | undefined
  /** Tables a client-credentials token may touch (schema-qualified); absent: any. */
  allowed_tables?: string[] | undefined
}

/** What updating a client takes: the fields given change. */
export type UpdateClientInput = Partial<Omit<CreateClientInput, 'app_id' | 'client_type'>>

const GRANTS = ['authorization_code', 'refresh_token', 'client_credentials'] as const
const METHODS = ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const
const httpUrl = z
  .string()
  .max(2048)
  .refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), 'must be an http(s) URL')
const publicJwk = z
  .looseObject({ kty: z.string() })
  .refine((jwk) => !('d' in jwk), 'must be a public key (no private parts)')

const baseShape = {
  client_name: z.string().trim().min(1).max(255),
  client_uri: httpUrl.optional(),
  logo_uri: httpUrl.optional(),
  redirect_uris: z.array(z.string()).max(20).optional(),
  grant_types: z.array(z.enum(GRANTS)).min(1).max(3).optional(),
  response_types: z.array(z.literal('code')).max(1).optional(),
  scope: z.string().max(2000).optional(),
  token_endpoint_auth_method: z.enum(METHODS).optional(),
  jwks: z.object({ keys: z.array(publicJwk).min(1).max(10) }).optional(),
  allowed_tables: z
    .array(z.string().regex(/^[^."]+\.[^."]+$/, 'must be schema-qualified (schema.table)'))
    .max(100)
    .optional(),
}

const createSchema = z.object({
  ...baseShape,
  client_type: z.enum(['public', 'confidential']).optional(),
  app_id: z.uuid().optional(),
})
const updateSchema = z.object(baseShape).partial()

/** Parses `value` with `schema`, answering RFC 7591's `invalid_client_metadata` naming the field. */
function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {})
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const field = issue?.path.map(String).join('.') || '(body)'
  throw new OAuthProviderError('OAUTH_INVALID_CLIENT_METADATA', `${field}: ${issue?.message ?? 'is invalid'}`)
}

/** A client's resolved metadata, checked as a whole (the rules that tie fields together). */
export interface ClientMetadata {
  client_name: string
  client_uri: string | null
  logo_uri: string | null
  redirect_uris: string[]
  grant_types: OAuthGrantType[]
  scope: string
  token_endpoint_auth_method: TokenEndpointAuthMethod
  client_type: 'public' | 'confidential'
  jwks: { keys: Record<string, unknown>[] } | null
  allowed_tables: string[] | null
}

/** Validates a creation. `scopes`: what the provider supports. */
export function parseCreate(
  value: unknown,
  scopes: readonly string[],
): ClientMetadata & { app_id: string | undefined } {
  const input = parse(createSchema, value)
  const method =
    input.token_endpoint_auth_method ?? (input.client_type === 'public' ? 'none' : 'client_secret_basic')
  const type = method === 'none' ? 'public' : 'confidential'
  if (input.client_type && input.client_type !== type) {
    throw new OAuthProviderError(
      'OAUTH_INVALID_CLIENT_METADATA',
      `client_type: a ${input.client_type} client cannot use token_endpoint_auth_method ${method}`,
    )
  }
  const metadata: ClientMetadata = {
    client_name: input.client_name,
    client_uri: input.client_uri ?? null,
    logo_uri: input.logo_uri ?? null,
    redirect_uris: input.redirect_uris ?? [],
    grant_types: [...new Set<OAuthGrantType>(input.grant_types ?? ['authorization_code', 'refresh_token'])],
    scope: input.scope ?? scopes.join(' '),
    token_endpoint_auth_method: method,
    client_type: type,
    jwks: input.jwks ?? null,
    allowed_tables: input.allowed_tables ?? null,
  }
  checkMetadata(metadata, scopes)
  return { ...metadata, app_id: input.app_id }
}

/** Validates an update against the current metadata; answers the merged metadata. */
export function parseUpdate(
  value: unknown,
  current: ClientMetadata,
  scopes: readonly string[],
): ClientMetadata {
  const input = parse(updateSchema, value)
  const method = input.token_endpoint_auth_method ?? current.token_endpoint_auth_method
  const type = method === 'none' ? 'public' : 'confidential'
  if (type !== current.client_type) {
    throw new OAuthProviderError(
      'OAUTH_INVALID_CLIENT_METADATA',
      'token_endpoint_auth_method: a client cannot change between public and confidential',
    )
  }
  const merged: ClientMetadata = {
    client_name: input.client_name ?? current.client_name,
    client_uri: input.client_uri ?? current.client_uri,
    logo_uri: input.logo_uri ?? current.logo_uri,
    redirect_uris: input.redirect_uris ?? current.redirect_uris,
    grant_types: input.grant_types ? [...new Set(input.grant_types)] : current.grant_types,
    scope: input.scope ?? current.scope,
    token_endpoint_auth_method: method,
    client_type: type,
    jwks: input.jwks ?? current.jwks,
    allowed_tables: input.allowed_tables ?? current.allowed_tables,
  }
  checkMetadata(merged, scopes)
  return merged
}

function checkMetadata(metadata: ClientMetadata, scopes: readonly string[]): void {
  const invalid = (why: string) => {
    throw new OAuthProviderError('OAUTH_INVALID_CLIENT_METADATA', why)
  }
  for (const uri of metadata.redirect_uris) assertRegistrableRedirectUri(uri)
  if (metadata.grant_types.includes('authorization_code') && metadata.redirect_uris.length === 0) {
    throw new OAuthProviderError(
      'OAUTH_INVALID_REDIRECT_URI',
      'redirect_uris: at least one is required for authorization_code',
    )
  }
  if (
    metadata.grant_types.includes('refresh_token') &&
    !metadata.grant_types.includes('authorization_code')
  ) {
    invalid('grant_types: refresh_token needs authorization_code')
  }
  if (metadata.client_type === 'public' && metadata.grant_types.includes('client_credentials')) {
    invalid('grant_types: client_credentials needs a confidential client')
  }
  if (metadata.token_endpoint_auth_method === 'private_key_jwt' && !metadata.jwks) {
    invalid('jwks: required for token_endpoint_auth_method private_key_jwt')
  }
  const allowed = new Set<string>([...scopes, ...DATA_SCOPES])
  const requested = metadata.scope.split(' ').filter((scope) => scope !== '')
  const unknown = requested.find((scope) => !allowed.has(scope))
  if (unknown !== undefined) invalid(`scope: "${unknown.slice(0, 64)}" is not a scope this server supports`)
  metadata.scope = [...new Set(requested)].join(' ')
}
