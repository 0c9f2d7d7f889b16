import { randomBytes } from 'node:crypto'
import { readEnv } from '@groundwork/example-express'
import { AuthClient } from '@supabase/auth-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCode } from '../packages/auth/src/mfa/totp'
import {
  type GitHubServer,
  type GitHubUser,
  type IdpAccount,
  type OidcIdp,
  startGitHub,
  startOidcIdp,
} from '../packages/auth/test/support/idp'
import { type RunningDemo, startDemo } from './support/demo-server'

// Issue 22 end to end: the demo configured from GoTrue's environment variables
// (`GOTRUE_EXTERNAL_GITHUB_*`, `AUTH_OIDC_<NAME>_*`), identity providers started on localhost,
// and the real @supabase/auth-js: social sign-in with PKCE, linking, and MFA with TOTP.

const accounts = new Map<string, IdpAccount>()
const githubUsers = new Map<string, GitHubUser>()
let idp: OidcIdp
let github: GitHubServer
let stack: RunningDemo

/** The demo's public URL as `createDemo` sees it before it listens (`startDemo`'s placeholder). */
const PUBLIC_URL = 'http://localhost'

beforeAll(async () => {
  idp = await startOidcIdp(accounts)
  github = await startGitHub(githubUsers)
  const env = readEnv({
    GOTRUE_EXTERNAL_GITHUB_ENABLED: 'true',
    GOTRUE_EXTERNAL_GITHUB_CLIENT_ID: 'demo-gh',
    GOTRUE_EXTERNAL_GITHUB_SECRET: 'demo-gh-secret',
    GOTRUE_EXTERNAL_GITHUB_URL: github.url,
    AUTH_OIDC_ACME_ISSUER: idp.issuer,
    AUTH_OIDC_ACME_CLIENT_ID: 'demo-rp',
    AUTH_OIDC_ACME_SECRET: 'demo-rp-secret',
    GOTRUE_SECURITY_MANUAL_LINKING_ENABLED: 'true',
    GROUNDWORK_ENCRYPTION_KEYS: `${randomBytes(32).toString('base64')}, ${randomBytes(32).toString('hex')}`,
  } as unknown as NodeJS.ProcessEnv)
  expect(env.encryptionKeys).toHaveLength(2)
  stack = await startDemo({ social: env.social, encryptionKeys: env.encryptionKeys })
  idp.register({
    clientId: 'demo-rp',
    secret: 'demo-rp-secret',
    redirectUri: `${PUBLIC_URL}/auth/v1/callback`,
  })
  github.register({ clientId: 'demo-gh', secret: 'demo-gh-secret' })
})
afterAll(async () => {
  await stack?.stop()
  await idp?.close()
  await github?.close()
})

function client(): InstanceType<typeof AuthClient> {
  const items = new Map<string, string>()
  return new AuthClient({
    url: `${stack.url}/auth/v1`,
    headers: { apikey: stack.anonKey },
    storage: {
      getItem: (key) => items.get(key) ?? null,
      setItem: (key, value) => void items.set(key, value),
      removeItem: (key) => void items.delete(key),
    },
    persistSession: true,
    autoRefreshToken: false,
    detectSessionInUrl: false,
    flowType: 'pkce',
  })
}

/** The browser's walk: provider login, then the demo's `/callback` (reached at the test server's port). */
async function back(providerUrl: string, login: (url: string) => Promise<URL>): Promise<URL> {
  const callback = await login(providerUrl)
  expect(`${callback.origin}${callback.pathname}`).toBe(`${PUBLIC_URL}/auth/v1/callback`)
  const response = await fetch(`${stack.url}${callback.pathname}${callback.search}`, { redirect: 'manual' })
  expect(response.status).toBe(302)
  return new URL(response.headers.get('location') ?? '')
}

async function signIn(
  auth: InstanceType<typeof AuthClient>,
  provider: string,
  login: (url: string) => Promise<URL>,
) {
  const { data, error } = await auth.signInWithOAuth({
    provider: provider as 'github',
    options: { redirectTo: 'http://localhost:5173/welcome', skipBrowserRedirect: true },
  })
  expect(error).toBeNull()
  const start = await fetch(data.url ?? '', { redirect: 'manual' })
  expect(start.status).toBe(302)
  const landed = await back(start.headers.get('location') ?? '', login)
  expect(landed.origin).toBe('http://localhost:5173')
  const exchanged = await auth.exchangeCodeForSession(landed.searchParams.get('code') ?? '')
  expect(exchanged.error).toBeNull()
  return exchanged.data
}

describe('social sign-in and MFA on the demo', () => {
  it('refuses a GROUNDWORK_ENCRYPTION_KEYS entry that is not a 32-byte key, naming the variable', () => {
    expect(() =>
      readEnv({ GROUNDWORK_ENCRYPTION_KEYS: 'not-a-key' } as unknown as NodeJS.ProcessEnv),
    ).toThrow(/GROUNDWORK_ENCRYPTION_KEYS/)
  })

  it('reports the providers configured from the environment', async () => {
    const settings = await (await fetch(`${stack.url}/auth/v1/settings`)).json()
    expect(settings.external).toMatchObject({ github: true, acme: true, google: false })
  })

  it('signs in with the OIDC provider, links GitHub, and steps up with TOTP', async () => {
    const id = `e2e-${Date.now()}`
    accounts.set(id, { email: `${id}@idp.test`, email_verified: true, name: 'E2E' })
    const auth = client()
    const first = await signIn(auth, 'acme', (url) => idp.login(url, id))
    expect(first.user?.identities?.map((i: { provider: string }) => i.provider)).toEqual(['acme'])
    const again = await signIn(client(), 'acme', (url) => idp.login(url, id))
    expect(again.user?.id).toBe(first.user?.id)

    const login = `octo-${Date.now()}`
    githubUsers.set(login, {
      id: 4242,
      login,
      name: 'Octo',
      emails: [{ email: `${login}@gh.test`, primary: true, verified: true }],
    })
    const link = await auth.linkIdentity({
      provider: 'github',
      options: { redirectTo: 'http://localhost:5173/linked', skipBrowserRedirect: true },
    })
    expect(link.error).toBeNull()
    const landed = await back(link.data.url ?? '', (url) => github.login(url, login))
    expect((await auth.exchangeCodeForSession(landed.searchParams.get('code') ?? '')).error).toBeNull()
    const identities = (await auth.getUserIdentities()).data?.identities ?? []
    expect(identities.map((i: { provider: string }) => i.provider).sort()).toEqual(['acme', 'github'])

    const enrolled = await auth.mfa.enroll({ factorType: 'totp' })
    const secret = enrolled.data?.type === 'totp' ? enrolled.data.totp.secret : ''
    // GROUNDWORK_ENCRYPTION_KEYS: the seed is stored sealed.
    const { rows } = await stack.database.db.query<{ secret: string }>(
      'select secret from auth.mfa_factors where id = $1',
      [enrolled.data?.id],
    )
    expect(rows[0]?.secret).toMatch(/^gwenc:v1:/)
    const verified = await auth.mfa.challengeAndVerify({
      factorId: enrolled.data?.id ?? '',
      code: totpCode(secret),
    })
    expect(verified.error).toBeNull()
    expect((await auth.mfa.getAuthenticatorAssuranceLevel()).data).toMatchObject({
      currentLevel: 'aal2',
      nextLevel: 'aal2',
    })

    // Unlinking needs no second factor here, but the last identity stays.
    const github_ = identities.find((i: { provider: string }) => i.provider === 'github')
    expect((await auth.unlinkIdentity(github_ as never)).error).toBeNull()
    const [last] = (await auth.getUserIdentities()).data?.identities ?? []
    expect((await auth.unlinkIdentity(last as never)).error?.code).toBe('single_identity_not_deletable')
  })
})
