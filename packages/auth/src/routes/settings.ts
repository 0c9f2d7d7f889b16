import type { Route } from '../context'
import { json } from '../http'

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

/**
 * `GET /settings`: which sign-in methods this server offers, shaped as GoTrue's.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/settings.go
 */
export const settingsRoute: Route = {
  method: 'GET',
  path: '/settings',
  async handler(ctx) {
    const { options } = ctx.services
    const external: Record<string, boolean> = Object.fromEntries(
      EXTERNAL_PROVIDERS.map((name) => [name, false]),
    )
    external.email = true
    external.phone = false
    external.anonymous_users = options.anonymousSignIns
    return json({
      external,
      disable_signup: options.disableSignup,
      mailer_autoconfirm: options.mailerAutoconfirm,
      phone_autoconfirm: false,
      sms_provider: '',
      saml_enabled: false,
    })
  },
}

/** `GET /health`: liveness, as GoTrue answers it (checks the database with one query). */
export const healthRoute: Route = {
  method: 'GET',
  path: '/health',
  async handler(ctx) {
    await ctx.services.db.query('select 1')
    return json({
      version: '@groundwork/auth',
      name: 'GoTrue',
      description: 'GoTrue is a user registration and authentication API',
    })
  },
}

/**
 * `GET /.well-known/jwks.json`: the public signing keys (empty for HS256, whose secret is never
 * published).
 *
 * @see https://supabase.com/docs/guides/auth/signing-keys
 */
export const jwksRoute: Route = {
  method: 'GET',
  path: '/.well-known/jwks.json',
  async handler(ctx) {
    return json(await ctx.services.signer.jwks(), 200, { 'cache-control': 'public, max-age=600' })
  },
}
