import { describe, expect, it } from 'vitest'
import { socialOptionsFromEnv } from './env'

describe('socialOptionsFromEnv', () => {
  it('reads GoTrue preset variables and generic OIDC providers', () => {
    const options = socialOptionsFromEnv({
      GOTRUE_EXTERNAL_GITHUB_ENABLED: 'true',
      GOTRUE_EXTERNAL_GITHUB_CLIENT_ID: 'gh',
      GOTRUE_EXTERNAL_GITHUB_SECRET: 'gh-secret',
      GOTRUE_EXTERNAL_GITHUB_URL: 'https://github.example.com',
      GOTRUE_EXTERNAL_GOOGLE_ENABLED: 'false',
      GOTRUE_EXTERNAL_GOOGLE_CLIENT_ID: 'ignored',
      AUTH_OIDC_CORP_SSO_ISSUER: 'https://sso.example.com',
      AUTH_OIDC_CORP_SSO_CLIENT_ID: 'corp',
      AUTH_OIDC_CORP_SSO_SECRET: 'corp-secret',
      AUTH_OIDC_CORP_SSO_SCOPES: 'groups offline_access',
      GOTRUE_SECURITY_MANUAL_LINKING_ENABLED: 'true',
    })
    expect(options).toEqual({
      manualLinking: true,
      providers: {
        github: { clientId: 'gh', secret: 'gh-secret', url: 'https://github.example.com' },
        corp_sso: {
          issuer: 'https://sso.example.com',
          clientId: 'corp',
          secret: 'corp-secret',
          scopes: ['groups', 'offline_access'],
        },
      },
    })
  })

  it('names the missing variable', () => {
    expect(() => socialOptionsFromEnv({ GOTRUE_EXTERNAL_GOOGLE_ENABLED: 'true' })).toThrow(
      /GOTRUE_EXTERNAL_GOOGLE_CLIENT_ID/,
    )
    expect(() =>
      socialOptionsFromEnv({ AUTH_OIDC_X_ISSUER: 'https://x.example', AUTH_OIDC_X_CLIENT_ID: 'x' }),
    ).toThrow(/AUTH_OIDC_X_SECRET/)
  })
})
