import { createHash } from 'node:crypto'
import type { GoTrueClient } from '@supabase/auth-js'
import { generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type GitHubServer,
  type GitHubUser,
  type IdpAccount,
  type OidcIdp,
  startGitHub,
  startOidcIdp,
} from './support/idp'
import { createStack, fragment, linkOf, SITE_URL, type Stack } from './support/stack'

// Social sign-in driven by the real @supabase/auth-js against the handler, with an OIDC provider
// (oidc-provider) and a GitHub-shaped OAuth 2 server started on localhost.

const accounts = new Map<string, IdpAccount>()
const githubUsers = new Map<string, GitHubUser>()
let idp: OidcIdp
let github: GitHubServer
let s: Stack

beforeAll(async () => {
  idp = await startOidcIdp(accounts)
  github = await startGitHub(githubUsers)
  s = await createStack({
    rateLimits: { signIn: false, signUp: false, verify: false, otp: false, emailSent: false },
    social: {
      manualLinking: true,
      providers: {
        acme: { issuer: idp.issuer, clientId: 'groundwork-rp', secret: 'rp-secret-0123456789' },
        github: { clientId: 'gh-client', secret: 'gh-secret', url: github.url },
      },
    },
  })
  idp.register({
    clientId: 'groundwork-rp',
    secret: 'rp-secret-0123456789',
    redirectUri: `${s.url}/callback`,
  })
  github.register({ clientId: 'gh-client', secret: 'gh-secret' })
})
afterAll(async () => {
  await s?.close()
  await idp?.close()
  await github?.close()
})

let counter = 0
const unique = (tag: string) => `${tag}-${++counter}-${Date.now()}`

function oidcAccount(claims: Partial<IdpAccount> = {}): { id: string; email: string } {
  const id = unique('acct')
  const email = claims.email ?? `${id}@idp.test`
  accounts.set(id, { email, email_verified: true, name: `User ${id}`, ...claims })
  return { id, email }
}

function githubUser(verified = true): GitHubUser {
  const login = unique('octo')
  const user = {
    id: 100_000 + ++counter,
    login,
    name: `Octo ${login}`,
    emails: [{ email: `${login}@github.test`, primary: true, verified }],
  }
  githubUsers.set(login, user)
  return user
}

/** Follows `/authorize` to the provider, signs in there, and returns where `/callback` redirects. */
async function throughProvider(startUrl: string, login: (providerUrl: string) => Promise<URL>): Promise<URL> {
  const start = await fetch(startUrl, { redirect: 'manual' })
  expect(start.status).toBe(302)
  return backFromProvider(start.headers.get('location') ?? '', login)
}

/** Signs in at the provider's authorization URL and returns where `/callback` redirects. */
async function backFromProvider(
  providerUrl: string,
  login: (providerUrl: string) => Promise<URL>,
): Promise<URL> {
  expect(providerUrl.startsWith(s.url)).toBe(false)
  const callback = await login(providerUrl)
  expect(`${callback.origin}${callback.pathname}`).toBe(`${s.url}/callback`)
  const back = await fetch(callback, { redirect: 'manual' })
  expect(back.status).toBe(302)
  return new URL(back.headers.get('location') ?? '')
}

async function signInWith(
  client: GoTrueClient,
  provider: 'acme' | 'github',
  who: string,
  redirectTo = `${SITE_URL}/welcome`,
) {
  const { data, error } = await client.signInWithOAuth({
    provider: provider as 'github',
    options: { redirectTo, skipBrowserRedirect: true },
  })
  expect(error).toBeNull()
  const login =
    provider === 'acme' ? (url: string) => idp.login(url, who) : (url: string) => github.login(url, who)
  return throughProvider(data.url ?? '', login)
}

async function pkceSignIn(provider: 'acme' | 'github', who: string) {
  const client = s.client({ flowType: 'pkce' })
  const landed = await signInWith(client, provider, who)
  expect(`${landed.origin}${landed.pathname}`).toBe(`${SITE_URL}/welcome`)
  const code = landed.searchParams.get('code')
  expect(code, landed.toString()).toBeTruthy()
  const { data, error } = await client.exchangeCodeForSession(code ?? '')
  expect(error).toBeNull()
  return { client, session: data.session, user: data.user }
}

describe('sign-in with a provider (PKCE)', () => {
  it('creates a user with the OIDC identity, and finds the same user the second time', async () => {
    const account = oidcAccount()
    const first = await pkceSignIn('acme', account.id)
    expect(first.user?.email).toBe(account.email)
    expect(first.user?.email_confirmed_at).toBeTruthy()
    expect(first.user?.app_metadata).toMatchObject({ provider: 'acme', providers: ['acme'] })
    expect(first.user?.identities?.map((i) => [i.provider, i.id])).toEqual([['acme', account.id]])
    expect(first.user?.identities?.[0]?.identity_data).toMatchObject({
      sub: account.id,
      email: account.email,
      email_verified: true,
      iss: idp.issuer,
    })
    expect(first.session?.provider_token).toBeTruthy()
    const claims = JSON.parse(
      Buffer.from(first.session?.access_token.split('.')[1] ?? '', 'base64url').toString(),
    )
    expect(claims.amr[0].method).toBe('oauth')
    expect(claims.aal).toBe('aal1')

    const second = await pkceSignIn('acme', account.id)
    expect(second.user?.id).toBe(first.user?.id)
    const { data } = await second.client.getUser()
    expect(data.user?.identities).toHaveLength(1)
  })

  it('creates a user with the GitHub identity (OAuth 2 + profile and email endpoints)', async () => {
    const user = githubUser()
    const first = await pkceSignIn('github', user.login)
    expect(first.user?.email).toBe(user.emails[0]?.email)
    expect(first.user?.identities?.[0]).toMatchObject({ provider: 'github', id: String(user.id) })
    expect(first.user?.user_metadata).toMatchObject({ user_name: user.login, full_name: user.name })
    expect(first.session?.provider_token).toMatch(/^gho_/)
    const second = await pkceSignIn('github', user.login)
    expect(second.user?.id).toBe(first.user?.id)
  })

  it('answers the implicit flow with the session and provider_token in the fragment', async () => {
    const account = oidcAccount()
    const client = s.client()
    const landed = await signInWith(client, 'acme', account.id)
    const hash = fragment(landed)
    expect(hash).toMatchObject({ token_type: 'bearer', expires_in: '3600' })
    expect(hash.provider_token).toBeTruthy()
    const set = await client.setSession({
      access_token: hash.access_token ?? '',
      refresh_token: hash.refresh_token ?? '',
    })
    expect(set.error).toBeNull()
    expect(set.data.user?.email).toBe(account.email)
  })

  it('links to an existing account only on a verified email', async () => {
    const email = `${unique('linked')}@example.com`
    const created = await s.admin().createUser({ email, password: 'password 123', email_confirm: true })
    expect(created.error).toBeNull()
    const verified = oidcAccount({ email })
    const { user } = await pkceSignIn('acme', verified.id)
    expect(user?.id).toBe(created.data.user?.id)
    expect(user?.identities?.map((i) => i.provider).sort()).toEqual(['acme', 'email'])

    // The same address, unverified at another account of the provider: never linked, refused.
    const other = `${unique('victim')}@example.com`
    const victim = await s.admin().createUser({ email: other, password: 'password 123', email_confirm: true })
    const attacker = oidcAccount({ email: other, email_verified: false })
    const client = s.client({ flowType: 'pkce' })
    const landed = await signInWith(client, 'acme', attacker.id)
    expect(landed.searchParams.get('error_code')).toBe('provider_email_needs_verification')
    expect(landed.searchParams.has('code')).toBe(false)
    const after = await s.admin().getUserById(victim.data.user?.id ?? '')
    expect(after.data.user?.identities?.map((i) => i.provider)).toEqual(['email'])
  })

  it('mails a confirmation for a new account whose email the provider did not verify, and signs in once it is confirmed', async () => {
    const email = `${unique('unverified')}@example.com`
    const account = oidcAccount({ email, email_verified: false })
    const client = s.client({ flowType: 'pkce' })
    // GoTrue: the account is kept, a confirmation is mailed, and no session is issued.
    const landed = await signInWith(client, 'acme', account.id)
    expect(landed.searchParams.get('error_code')).toBe('provider_email_needs_verification')
    expect(landed.searchParams.get('error_description')).toContain('A confirmation email has been sent')
    expect(landed.searchParams.has('code')).toBe(false)
    const mail = await s.nextMail(email)
    const listed = await s.admin().listUsers({ perPage: 1000 })
    const pending = listed.data.users.find((user) => user.email === email)
    expect(pending?.email_confirmed_at ?? null).toBeNull()
    expect(pending?.identities?.map((i) => i.provider)).toEqual(['acme'])

    // Signing in again before confirming still gives no session.
    const again = await signInWith(s.client({ flowType: 'pkce' }), 'acme', account.id)
    expect(again.searchParams.get('error_code')).toBe('provider_email_needs_verification')
    expect(again.searchParams.has('code')).toBe(false)

    // The link confirms the address; the provider's sign-in then succeeds, for the same user.
    const verified = await fetch(linkOf(mail), { redirect: 'manual' })
    expect(verified.status).toBe(303)
    const { user } = await pkceSignIn('acme', account.id)
    expect(user?.id).toBe(pending?.id)
    expect(user?.email_confirmed_at).toBeTruthy()
  })

  it('drops an unverified identity from the account when the verified owner of the address claims it', async () => {
    // The attacker's provider account claims the victim's address, unverified: an unconfirmed
    // account is kept (and mailed), holding the attacker's identity.
    const email = `${unique('claimed')}@example.com`
    const attacker = oidcAccount({ email, email_verified: false })
    const first = await signInWith(s.client({ flowType: 'pkce' }), 'acme', attacker.id)
    expect(first.searchParams.get('error_code')).toBe('provider_email_needs_verification')
    // The owner signs in with a provider that verified the address: the account is theirs now.
    const owner = githubUser()
    const mail = owner.emails[0] as { email: string }
    mail.email = email
    const { user } = await pkceSignIn('github', owner.login)
    expect(user?.email).toBe(email)
    expect(user?.identities?.map((i) => i.provider)).toEqual(['github'])
    // The attacker's identity no longer opens it.
    const again = await signInWith(s.client({ flowType: 'pkce' }), 'acme', attacker.id)
    expect(again.searchParams.has('code')).toBe(false)
    expect(again.searchParams.get('error_code')).toBe('provider_email_needs_verification')
  })

  it('removes the password of an unconfirmed account that a verified identity claims', async () => {
    const email = `${unique('squat')}@example.com`
    const squatted = await s.client().signUp({ email, password: 'attacker password' })
    expect(squatted.error).toBeNull()
    const owner = oidcAccount({ email })
    const { user } = await pkceSignIn('acme', owner.id)
    expect(user?.email_confirmed_at).toBeTruthy()
    const attempt = await s.client().signInWithPassword({ email, password: 'attacker password' })
    expect(attempt.error?.code).toBe('invalid_credentials')
  })
})

describe('identity linking', () => {
  it('links a second identity to the signed-in user and unlinks it; the last one stays', async () => {
    const email = `${unique('linker')}@example.com`
    await s.admin().createUser({ email, password: 'password 123', email_confirm: true })
    const client = s.client({ flowType: 'pkce' })
    expect((await client.signInWithPassword({ email, password: 'password 123' })).error).toBeNull()
    const gh = githubUser()
    const link = await client.linkIdentity({
      provider: 'github',
      options: { redirectTo: `${SITE_URL}/linked`, skipBrowserRedirect: true },
    })
    expect(link.error).toBeNull()
    const landed = await backFromProvider(link.data.url ?? '', (url) => github.login(url, gh.login))
    const exchanged = await client.exchangeCodeForSession(landed.searchParams.get('code') ?? '')
    expect(exchanged.error).toBeNull()
    const identities = (await client.getUserIdentities()).data?.identities ?? []
    expect(identities.map((i) => i.provider).sort()).toEqual(['email', 'github'])
    expect(exchanged.data.user?.app_metadata.providers).toEqual(['email', 'github'])

    const githubIdentity = identities.find((i) => i.provider === 'github')
    expect((await client.unlinkIdentity(githubIdentity as never)).error).toBeNull()
    const left = (await client.getUserIdentities()).data?.identities ?? []
    expect(left.map((i) => i.provider)).toEqual(['email'])
    const last = await client.unlinkIdentity(left[0] as never)
    expect(last.error?.code).toBe('single_identity_not_deletable')
    expect((last.error as { status?: number }).status).toBe(422)
  })

  it('links an id_token identity to the signed-in user (auth-js linkIdentity with a token)', async () => {
    const nonce = 'link-nonce-0123456789'
    const hashed = createHash('sha256').update(nonce).digest('hex')
    const email = `${unique('idlinker')}@example.com`
    await s.admin().createUser({ email, password: 'password 123', email_confirm: true })
    const client = s.client()
    const signedIn = await client.signInWithPassword({ email, password: 'password 123' })
    expect(signedIn.error).toBeNull()
    const sub = unique('native-link')
    const token = await idp.idToken({ sub, email: `${sub}@idp.test`, nonce: hashed })
    const linked = await client.linkIdentity({ provider: 'acme' as 'google', token, nonce })
    expect(linked.error).toBeNull()
    expect(linked.data.user?.id).toBe(signedIn.data.user?.id)
    const identities = (await client.getUserIdentities()).data?.identities ?? []
    expect(identities.map((i) => i.provider).sort()).toEqual(['acme', 'email'])
    // The account keeps its email; the id_token now signs in to the same user.
    const native = await s.client().signInWithIdToken({
      provider: 'acme' as 'google',
      token: await idp.idToken({ sub, nonce: hashed }),
      nonce,
    })
    expect(native.data.user?.id).toBe(signedIn.data.user?.id)

    // Another user cannot take it, and without a signed-in user there is nothing to link to.
    const other = `${unique('idother')}@example.com`
    await s.admin().createUser({ email: other, password: 'password 123', email_confirm: true })
    const second = s.client()
    expect((await second.signInWithPassword({ email: other, password: 'password 123' })).error).toBeNull()
    const taken = await second.linkIdentity({
      provider: 'acme' as 'google',
      token: await idp.idToken({ sub, nonce: hashed }),
      nonce,
    })
    expect(taken.error?.code).toBe('identity_already_exists')
    const anonymous = await fetch(`${s.url}/token?grant_type=id_token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        apikey: s.anonKey,
        authorization: `Bearer ${s.anonKey}`,
      },
      body: JSON.stringify({
        provider: 'acme',
        id_token: await idp.idToken({ sub: unique('nobody'), nonce: hashed }),
        nonce,
        link_identity: true,
      }),
    })
    expect(anonymous.status).toBeGreaterThanOrEqual(400)
    expect(anonymous.status).toBeLessThan(500)
  })

  it('refuses to let a token issued to an OAuth client manage the account', async () => {
    const email = `${unique('granted')}@example.com`
    const created = await s.admin().createUser({ email, password: 'password 123', email_confirm: true })
    const userId = created.data.user?.id as string
    // What @groundwork/oauth-provider issues a third-party app: a session bound to its client.
    const grant = await s.auth.api.oauthGrants.issue({
      userId,
      clientId: 'third-party-app',
      scope: 'openid email',
    })
    const headers = {
      'content-type': 'application/json',
      apikey: s.anonKey,
      authorization: `Bearer ${grant.access_token}`,
    }
    const calls: [string, string, unknown?][] = [
      ['PUT', '/user', { password: 'taken over 123' }],
      ['GET', '/user/identities/authorize?provider=github&skip_http_redirect=true'],
      ['POST', '/factors', { factor_type: 'totp' }],
      ['GET', '/reauthenticate'],
    ]
    for (const [method, path, body] of calls) {
      const response = await fetch(`${s.url}${path}`, {
        method,
        headers,
        ...(body ? { body: JSON.stringify(body) } : {}),
      })
      expect(response.status, `${method} ${path}`).toBe(403)
      expect(((await response.json()) as { error_code?: string }).error_code).toBe('bad_jwt')
    }
    // The user's own session still can; the password was never changed.
    const own = s.client()
    expect((await own.signInWithPassword({ email, password: 'password 123' })).error).toBeNull()
  })

  it('refuses to link an identity another user already has', async () => {
    const gh = githubUser()
    await pkceSignIn('github', gh.login)
    const email = `${unique('other')}@example.com`
    await s.admin().createUser({ email, password: 'password 123', email_confirm: true })
    const client = s.client({ flowType: 'pkce' })
    await client.signInWithPassword({ email, password: 'password 123' })
    const link = await client.linkIdentity({
      provider: 'github',
      options: { redirectTo: `${SITE_URL}/linked`, skipBrowserRedirect: true },
    })
    const landed = await backFromProvider(link.data.url ?? '', (url) => github.login(url, gh.login))
    expect(landed.searchParams.get('error_code')).toBe('identity_already_exists')
  })
})

describe('the redirect and the state are checked', () => {
  it('sends the user to the site URL, never to a redirect_to outside the allow-list', async () => {
    const account = oidcAccount()
    const client = s.client({ flowType: 'pkce' })
    const landed = await signInWith(client, 'acme', account.id, 'https://evil.example/steal')
    expect(landed.origin).toBe(new URL(SITE_URL).origin)
    expect(landed.searchParams.get('code')).toBeTruthy()
  })

  it('refuses a tampered or replayed state', async () => {
    const account = oidcAccount()
    const client = s.client({ flowType: 'pkce' })
    const { data } = await client.signInWithOAuth({
      provider: 'acme' as 'github',
      options: { redirectTo: `${SITE_URL}/welcome`, skipBrowserRedirect: true },
    })
    const start = await fetch(data.url ?? '', { redirect: 'manual' })
    const callback = await idp.login(start.headers.get('location') ?? '', account.id)
    const tampered = new URL(callback)
    tampered.searchParams.set('state', `${callback.searchParams.get('state')}x`)
    const refused = await fetch(tampered, { redirect: 'manual' })
    const location = new URL(refused.headers.get('location') ?? '')
    expect(location.origin).toBe(new URL(SITE_URL).origin)
    expect(location.searchParams.get('error_code')).toBe('bad_oauth_state')

    const ok = await fetch(callback, { redirect: 'manual' })
    expect(new URL(ok.headers.get('location') ?? '').searchParams.get('code')).toBeTruthy()
    const replay = await fetch(callback, { redirect: 'manual' })
    expect(new URL(replay.headers.get('location') ?? '').searchParams.get('error_code')).toBe(
      'bad_oauth_state',
    )
  })

  it('answers an unknown provider with 400', async () => {
    const response = await fetch(`${s.url}/authorize?provider=nope`, { redirect: 'manual' })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error_code: 'validation_failed' })
  })

  it('reports the enabled providers in /settings', async () => {
    const settings = await (await fetch(`${s.url}/settings`)).json()
    expect(settings.external).toMatchObject({ acme: true, github: true, google: false, email: true })
  })
})

describe('signInWithIdToken', () => {
  const nonce = 'raw-nonce-0123456789'
  const hashed = createHash('sha256').update(nonce).digest('hex')

  it('signs in with a valid id_token and its nonce', async () => {
    const sub = unique('native')
    const token = await idp.idToken({ sub, email: `${sub}@idp.test`, nonce: hashed })
    const client = s.client()
    const { data, error } = await client.signInWithIdToken({ provider: 'acme' as 'google', token, nonce })
    expect(error).toBeNull()
    expect(data.user?.identities?.[0]).toMatchObject({ provider: 'acme', id: sub })
    // The same subject through the browser flow is the same user.
    accounts.set(sub, { email: `${sub}@idp.test`, email_verified: true })
    const browser = await pkceSignIn('acme', sub)
    expect(browser.user?.id).toBe(data.user?.id)
  })

  it('refuses a wrong nonce, a wrong audience, an expired token and a foreign signature', async () => {
    const client = s.client()
    const sub = unique('bad')
    const tries = [
      await idp.idToken({ sub, nonce: createHash('sha256').update('other').digest('hex') }),
      await idp.idToken({ sub, nonce: hashed, aud: 'someone-else' }),
      await idp.idToken({ sub, nonce: hashed }, { expiresIn: Math.floor(Date.now() / 1000) - 60 }),
      await idp.idToken({ sub, nonce: hashed }, { key: (await generateKeyPair('RS256')).privateKey }),
    ]
    for (const token of tries) {
      const { data, error } = await client.signInWithIdToken({ provider: 'acme' as 'google', token, nonce })
      expect(error, token).not.toBeNull()
      expect(error?.status).toBe(400)
      expect(data.session).toBeNull()
    }
    const missing = await client.signInWithIdToken({
      provider: 'acme' as 'google',
      token: await idp.idToken({ sub, nonce: hashed }),
    })
    expect(missing.error?.message).toMatch(/nonce/)
  })
})
