import { ConfigError } from '@groundwork/core'
import type { ResolvedProviderOptions } from './options'
import { type ExternalProfile, profileFromClaims } from './profile'

/** Reads a JSON resource with the user's access token (oauth4webapi's `protectedResourceRequest`). */
export type ResourceReader = (url: string) => Promise<unknown>

/** A provider resolved from its options: endpoints, scopes and how its profile is read. */
export type ProviderDefinition =
  | {
      name: string
      kind: 'oidc'
      /** The issuer, checked against the discovery document and every id_token's `iss`. */
      issuer: string
      scopes: string[]
      /** Extra authorization request parameters (Apple: `response_mode=form_post`). */
      authorizationParams: Record<string, string>
      options: ResolvedProviderOptions
    }
  | {
      name: string
      kind: 'oauth2'
      /** Recorded as `iss` in the identity (GoTrue records the provider's host). */
      issuer: string
      authorizationUrl: string
      tokenUrl: string
      scopes: string[]
      authorizationParams: Record<string, string>
      /** Reads the user's profile with the access token. */
      profile(read: ResourceReader): Promise<ExternalProfile>
      options: ResolvedProviderOptions
    }

/** The presets, as GoTrue names them. */
export const PRESET_PROVIDERS = [
  'apple',
  'auth0',
  'azure',
  'discord',
  'github',
  'gitlab',
  'google',
  'keycloak',
  'okta',
] as const

const trim = (url: string) => url.replace(/\/+$/, '')
const str = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null
const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}

function requireUrl(name: string, options: ResolvedProviderOptions, example: string): string {
  if (!options.url) {
    throw new ConfigError(
      `social.providers.${name}.url`,
      `the ${name} provider needs its URL, e.g. ${example}`,
    )
  }
  return trim(options.url)
}

function oidc(
  name: string,
  options: ResolvedProviderOptions,
  issuer: string,
  scopes: string[],
  authorizationParams: Record<string, string> = {},
): ProviderDefinition {
  return {
    name,
    kind: 'oidc',
    issuer,
    scopes: unique(['openid', ...scopes, ...(options.scopes ?? [])]),
    authorizationParams,
    options,
  }
}

function unique(scopes: string[]): string[] {
  return [...new Set(scopes)]
}

/**
 * GitHub (GoTrue's `github` provider): the OAuth 2 app flow, then `GET /user` and `GET
 * /user/emails`, whose primary verified address is the identity's email. `url` points at GitHub
 * Enterprise (its API under `/api/v3`, as GoTrue).
 * @see https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
 */
function github(options: ResolvedProviderOptions): ProviderDefinition {
  const base = options.url ? trim(options.url) : 'https://github.com'
  const api = options.url ? `${base}/api/v3` : 'https://api.github.com'
  return {
    name: 'github',
    kind: 'oauth2',
    issuer: options.url ? new URL(base).host : 'github.com',
    authorizationUrl: `${base}/login/oauth/authorize`,
    tokenUrl: `${base}/login/oauth/access_token`,
    scopes: unique(['user:email', ...(options.scopes ?? [])]),
    authorizationParams: {},
    options,
    async profile(read) {
      const user = record(await read(`${api}/user`))
      const emails = await read(`${api}/user/emails`).catch(() => [])
      const list = Array.isArray(emails) ? emails.map(record) : []
      const chosen =
        list.find((e) => e.primary === true && e.verified === true) ??
        list.find((e) => e.verified === true) ??
        list.find((e) => e.primary === true)
      return {
        id: str(user.id) ?? '',
        email: str(chosen?.email) ?? str(user.email),
        emailVerified: chosen ? chosen.verified === true : false,
        name: str(user.name) ?? str(user.login),
        username: str(user.login),
        avatarUrl: str(user.avatar_url),
      }
    },
  }
}

/**
 * GitLab (GoTrue's `gitlab`): OAuth 2, then `GET /api/v4/user`; the email counts as verified
 * when GitLab reports `confirmed_at`.
 * @see https://docs.gitlab.com/api/oauth2/
 */
function gitlab(options: ResolvedProviderOptions): ProviderDefinition {
  const base = options.url ? trim(options.url) : 'https://gitlab.com'
  return {
    name: 'gitlab',
    kind: 'oauth2',
    issuer: base,
    authorizationUrl: `${base}/oauth/authorize`,
    tokenUrl: `${base}/oauth/token`,
    scopes: unique(['read_user', ...(options.scopes ?? [])]),
    authorizationParams: {},
    options,
    async profile(read) {
      const user = record(await read(`${base}/api/v4/user`))
      return {
        id: str(user.id) ?? '',
        email: str(user.email),
        emailVerified: Boolean(str(user.confirmed_at)),
        name: str(user.name),
        username: str(user.username),
        avatarUrl: str(user.avatar_url),
      }
    },
  }
}

/**
 * Discord (GoTrue's `discord`): OAuth 2, then `GET /users/@me` (`verified` is the email's).
 * @see https://discord.com/developers/docs/topics/oauth2
 */
function discord(options: ResolvedProviderOptions): ProviderDefinition {
  const base = options.url ? trim(options.url) : 'https://discord.com'
  return {
    name: 'discord',
    kind: 'oauth2',
    issuer: `${base}/api`,
    authorizationUrl: `${base}/api/oauth2/authorize`,
    tokenUrl: `${base}/api/oauth2/token`,
    scopes: unique(['identify', 'email', ...(options.scopes ?? [])]),
    authorizationParams: {},
    options,
    async profile(read) {
      const user = record(await read(`${base}/api/users/@me`))
      const id = str(user.id) ?? ''
      const avatar = str(user.avatar)
      return {
        id,
        email: str(user.email),
        emailVerified: user.verified === true,
        name: str(user.global_name) ?? str(user.username),
        username: str(user.username),
        avatarUrl: avatar ? `https://cdn.discordapp.com/avatars/${id}/${avatar}.png` : null,
      }
    },
  }
}

/** A generic OAuth 2 provider: its three URLs and a profile mapper (OIDC claim names by default). */
function genericOAuth2(name: string, options: ResolvedProviderOptions): ProviderDefinition {
  const { authorizationUrl, tokenUrl, userinfoUrl } = options
  if (!authorizationUrl || !tokenUrl || !userinfoUrl) {
    throw new ConfigError(
      `social.providers.${name}`,
      'a provider that is not a preset needs `issuer` (OIDC discovery) or `authorizationUrl`, `tokenUrl` and `userinfoUrl` (OAuth 2)',
    )
  }
  const map = options.profile ?? ((userinfo: Record<string, unknown>) => defaultProfile(userinfo))
  return {
    name,
    kind: 'oauth2',
    issuer: new URL(authorizationUrl).origin,
    authorizationUrl,
    tokenUrl,
    scopes: unique(options.scopes ?? []),
    authorizationParams: {},
    options,
    async profile(read) {
      return map(record(await read(userinfoUrl)))
    },
  }
}

/** OIDC claim names, with `id`/`login`/`avatar_url` as the usual OAuth 2 fallbacks. */
function defaultProfile(userinfo: Record<string, unknown>): ExternalProfile {
  const claims = profileFromClaims(userinfo)
  return {
    ...claims,
    id: claims.id || (str(userinfo.id) ?? ''),
    username: claims.username ?? str(userinfo.login),
    avatarUrl: claims.avatarUrl ?? str(userinfo.avatar_url),
  }
}

/**
 * Resolves a configured provider: a preset by name, else a generic OIDC (`issuer`) or OAuth 2
 * (`authorizationUrl`…) provider. Throws a `ConfigError` naming the field when one is missing.
 */
export function resolveProvider(name: string, options: ResolvedProviderOptions): ProviderDefinition {
  if (options.issuer) return oidc(name, options, options.issuer, ['email', 'profile'])
  switch (name) {
    case 'google':
      return oidc(name, options, 'https://accounts.google.com', ['email', 'profile'])
    case 'apple':
      // Apple posts the callback (form_post) when name or email is requested.
      return oidc(name, options, 'https://appleid.apple.com', ['email', 'name'], {
        response_mode: 'form_post',
      })
    case 'azure':
      // Entra ID's issuer is per tenant; the multi-tenant `common` endpoint's discovery names a
      // `{tenantid}` template no id_token matches, so a tenant URL is required.
      return oidc(
        name,
        options,
        `${requireUrl(name, options, 'https://login.microsoftonline.com/<tenant-id>')}/v2.0`,
        ['email', 'profile'],
      )
    case 'keycloak':
      return oidc(name, options, requireUrl(name, options, 'https://keycloak.example.com/realms/myrealm'), [
        'email',
        'profile',
      ])
    case 'auth0':
      // Auth0's issuer identifier ends with a slash.
      return oidc(name, options, `${requireUrl(name, options, 'https://tenant.eu.auth0.com')}/`, [
        'email',
        'profile',
      ])
    case 'okta':
      return oidc(name, options, requireUrl(name, options, 'https://dev-123.okta.com/oauth2/default'), [
        'email',
        'profile',
      ])
    case 'github':
      return github(options)
    case 'gitlab':
      return gitlab(options)
    case 'discord':
      return discord(options)
    default:
      return genericOAuth2(name, options)
  }
}
