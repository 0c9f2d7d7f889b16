import type { JWK } from 'jose'
import type { AuthServices } from '../services'

const EXTERNAL_PROVIDERS = [
  'apple',
  'azure',
  'bitbucket',
  'discord',
  'facebook',
  'figma',
  'fly',
  'github',
  'gitlab',
  'google',
  'keycloak',
  'kakao',
  'linkedin',
  'linkedin_oidc',
  'nextcloud',
  'notion',
  'slack',
  'slack_oidc',
  'spotify',
  'twitch',
  'twitter',
  'workos',
  'zoom',
]

/** The sign-in methods this server offers, shaped as GoTrue's `GET /settings`. */
export interface AuthSettings {
  /** Per provider: enabled or not (`email`, `phone`, `anonymous_users`, the OAuth providers). */
  external: Record<string, boolean>
  disable_signup: boolean
  mailer_autoconfirm: boolean
  phone_autoconfirm: boolean
  sms_provider: string
  saml_enabled: boolean
}

/** GoTrue's `GET /health` answer. */
export interface AuthHealth {
  version: string
  name: string
  description: string
}

/** The server half of `auth.api`: settings, health and the published keys. */
export interface ServerApi {
  /**
   * Which sign-in methods this server offers (`GET /settings`).
   * @see https://github.com/supabase/auth/blob/master/internal/api/settings.go
   */
  getSettings(): Promise<AuthSettings>
  /** Liveness with one database round trip (`GET /health`), as GoTrue answers it. */
  health(): Promise<AuthHealth>
  /**
   * The public signing keys (`GET /.well-known/jwks.json`); empty for HS256, whose secret is
   * never published.
   * @see https://supabase.com/docs/guides/auth/signing-keys
   */
  jwks(): Promise<{ keys: JWK[] }>
}

/** Builds {@link ServerApi}. */
export function createServerApi(services: AuthServices): ServerApi {
  const { options } = services
  return {
    async getSettings() {
      const external: Record<string, boolean> = Object.fromEntries(
        EXTERNAL_PROVIDERS.map((name) => [name, false]),
      )
      // Configured providers (presets and generic ones, by their names) are enabled.
      for (const name of Object.keys(options.social.providers)) external[name] = true
      external.email = true
      external.phone = false
      external.anonymous_users = options.anonymousSignIns
      return {
        external,
        disable_signup: options.disableSignup,
        mailer_autoconfirm: options.mailerAutoconfirm,
        phone_autoconfirm: false,
        sms_provider: '',
        saml_enabled: false,
      }
    },
    async health() {
      await services.db.query('select 1')
      return {
        version: '@groundwork/auth',
        name: 'GoTrue',
        description: 'GoTrue is a user registration and authentication API',
      }
    },
    jwks: () => services.signer.jwks(),
  }
}
