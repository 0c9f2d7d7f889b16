import type { ExternalProviderOptions, SocialOptions } from './options'
import { PRESET_PROVIDERS } from './presets'

/** Environment variables as `process.env` holds them. */
export type Env = Record<string, string | undefined>

const truthy = (value: string | undefined) => value === 'true' || value === '1'
const list = (value: string | undefined) =>
  (value ?? '')
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean)

function required(env: Env, name: string): string {
  const value = env[name]
  if (!value) throw new Error(`Invalid environment variable ${name}: required when the provider is enabled`)
  return value
}

/**
 * Social sign-in from environment variables, with GoTrue's names for the presets and one
 * pattern for any number of generic OIDC providers:
 *
 * - `GOTRUE_EXTERNAL_<PRESET>_ENABLED=true` with `…_CLIENT_ID`, `…_SECRET`, and optionally
 *   `…_REDIRECT_URI`, `…_URL` (GitHub Enterprise, GitLab, Keycloak realm, Entra tenant, Auth0/Okta
 *   domain), `…_ADDITIONAL_CLIENT_IDS`, `…_SKIP_NONCE_CHECK`; presets: apple, auth0, azure, discord,
 *   github, gitlab, google, keycloak, okta;
 * - `AUTH_OIDC_<NAME>_ISSUER`, `AUTH_OIDC_<NAME>_CLIENT_ID`, `AUTH_OIDC_<NAME>_SECRET` (and
 *   `…_SCOPES`, `…_REDIRECT_URI`) enable provider `<name>` in lower case, found through the
 *   issuer's discovery document;
 * - `GOTRUE_SECURITY_MANUAL_LINKING_ENABLED=true` enables `linkIdentity`/`unlinkIdentity`.
 *
 * A missing client id or secret throws an `Error` naming the variable.
 *
 * @see https://github.com/supabase/auth/blob/master/example.env
 */
export function socialOptionsFromEnv(env: Env): SocialOptions {
  const providers: Record<string, ExternalProviderOptions> = {}
  for (const preset of PRESET_PROVIDERS) {
    const prefix = `GOTRUE_EXTERNAL_${preset.toUpperCase()}_`
    if (!truthy(env[`${prefix}ENABLED`])) continue
    providers[preset] = {
      clientId: required(env, `${prefix}CLIENT_ID`),
      secret: required(env, `${prefix}SECRET`),
      ...(env[`${prefix}REDIRECT_URI`] ? { redirectUri: env[`${prefix}REDIRECT_URI`] } : {}),
      ...(env[`${prefix}URL`] ? { url: env[`${prefix}URL`] } : {}),
      ...(env[`${prefix}ADDITIONAL_CLIENT_IDS`]
        ? { additionalClientIds: list(env[`${prefix}ADDITIONAL_CLIENT_IDS`]) }
        : {}),
      ...(truthy(env[`${prefix}SKIP_NONCE_CHECK`]) ? { skipNonceCheck: true } : {}),
    }
  }
  for (const key of Object.keys(env).sort()) {
    const match = /^AUTH_OIDC_([A-Z0-9_]+)_ISSUER$/.exec(key)
    if (!match || !env[key]) continue
    const upper = match[1] as string
    const prefix = `AUTH_OIDC_${upper}_`
    providers[upper.toLowerCase()] = {
      issuer: env[key],
      clientId: required(env, `${prefix}CLIENT_ID`),
      secret: required(env, `${prefix}SECRET`),
      ...(env[`${prefix}SCOPES`] ? { scopes: list(env[`${prefix}SCOPES`]) } : {}),
      ...(env[`${prefix}REDIRECT_URI`] ? { redirectUri: env[`${prefix}REDIRECT_URI`] } : {}),
    }
  }
  return { providers, manualLinking: truthy(env.GOTRUE_SECURITY_MANUAL_LINKING_ENABLED) }
}
