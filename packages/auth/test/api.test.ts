import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuthApi, AuthError, OAuthError } from '../src/index'
import { countRequests } from './support/no-request'
import { codeOf, createStack, linkOf, type Stack } from './support/stack'

// `auth.api` against real Postgres, in-process: every method, each call proven to construct no
// `Request` (the api is the service layer's typed surface; the handler sits on top of it).

let s: Stack
/** `s.auth.api`, recording which methods the tests call (the last test checks that all were). */
let api: AuthApi
const called = new Set<string>()

function recorded<T extends object>(target: T, prefix = ''): T {
  return new Proxy(target, {
    get(object, name, receiver) {
      const value = Reflect.get(object, name, receiver)
      if (typeof name !== 'string') return value
      if (typeof value === 'function') {
        return (...args: unknown[]) => {
          called.add(prefix + name)
          return (value as (...args: unknown[]) => unknown)(...args)
        }
      }
      return typeof value === 'object' && value !== null ? recorded(value, `${prefix}${name}.`) : value
    },
  })
}

beforeAll(async () => {
  s = await createStack({
    anonymousSignIns: true,
    allowedRoles: ['editor'],
    rateLimits: { emailFrequencySeconds: 0, emailSent: false },
    // Built locally (no discovery), never called: the in-process social calls below stop short of the network.
    social: {
      manualLinking: true,
      providers: { github: { clientId: 'c', secret: 's', url: 'http://127.0.0.1:9' } },
    },
  })
  api = recorded(s.auth.api)
})
afterAll(async () => {
  await s?.close()
})

let counter = 0
const address = (tag: string) => `api-${tag}-${++counter}-${Date.now()}@example.com`

/** Runs `fn` and fails when it built a Request. */
async function inProcess<T>(fn: () => Promise<T>): Promise<T> {
  const { result, requests } = await countRequests(fn)
  expect(requests, 'Request objects built by an in-process call').toBe(0)
  return result
}

describe('the Request probe', () => {
  it('counts a Request built while it runs (so a zero below means something)', async () => {
    const { requests } = await countRequests(async () => new Request('http://probe.test/'))
    expect(requests).toBe(1)
  })
})

describe('auth.api: accounts and sessions', () => {
  it('signs up, signs in, refreshes, resolves, updates, reauthenticates and signs out', async () => {
    const email = address('account')
    const signedUp = await inProcess(() => api.signUp({ email, password: 'correct horse', data: { n: 1 } }))
    expect(signedUp.session).toBeNull()
    expect(signedUp.user).toMatchObject({ email, user_metadata: { n: 1 }, is_anonymous: false })
    const confirmed = await inProcess(() =>
      api.admin.updateUserById(signedUp.user.id, { email_confirm: true }),
    )
    expect(confirmed.email_confirmed_at).toEqual(expect.any(String))

    const { session, user, weakPassword } = await inProcess(() =>
      api.signInWithPassword({ email, password: 'correct horse' }),
    )
    expect(session).toMatchObject({ token_type: 'bearer', expires_in: 3600, user: { id: user.id } })
    expect(weakPassword).toBeUndefined()
    const refreshed = await inProcess(() => api.refreshSession(session.refresh_token))
    expect(refreshed.refresh_token).not.toBe(session.refresh_token)

    const verified = await inProcess(() => api.verifyAccessToken(refreshed.access_token))
    expect(verified).toMatchObject({
      user: { id: user.id, email },
      claims: { sub: user.id, role: 'authenticated' },
    })
    expect(verified.sessionId).toBe(verified.claims.session_id)
    expect((await inProcess(() => api.getUser(refreshed.access_token))).id).toBe(user.id)
    const updated = await inProcess(() =>
      api.updateUser(refreshed.access_token, { data: { n: 2, gone: null } }),
    )
    expect(updated.user_metadata).toMatchObject({ n: 2 })

    await inProcess(() => api.reauthenticate(refreshed.access_token))
    expect(codeOf(await s.nextMail(email, 1))).toMatch(/^\d{6}$/)

    await inProcess(() => api.signOut(refreshed.access_token, 'local'))
    await expect(inProcess(() => api.getUser(refreshed.access_token))).rejects.toMatchObject({
      errorCode: 'session_not_found',
      status: 403,
    })
  })

  it('signs up anonymously with a session', async () => {
    const { user, session } = await inProcess(() => api.signUp({}))
    expect(user.is_anonymous).toBe(true)
    expect(session?.user.id).toBe(user.id)
  })

  it('answers settings, health and the (empty, HS256) key set', async () => {
    expect(await inProcess(() => api.getSettings())).toMatchObject({
      external: { email: true, anonymous_users: true },
    })
    expect(await inProcess(() => api.health())).toMatchObject({ name: 'GoTrue' })
    expect(await inProcess(() => api.jwks())).toEqual({ keys: [] })
  })

  it('throws typed errors: AuthError with the GoTrue code, OAuthError where GoTrue answers one', async () => {
    const wrong = await inProcess(() =>
      api.signInWithPassword({ email: address('none'), password: 'x' }),
    ).catch((error: unknown) => error)
    expect(wrong).toBeInstanceOf(AuthError)
    expect(wrong).toMatchObject({
      code: 'AUTH_INVALID_CREDENTIALS',
      errorCode: 'invalid_credentials',
      status: 400,
    })
    const missing = await api.refreshSession('').catch((error: unknown) => error)
    expect(missing).toBeInstanceOf(OAuthError)
    expect(missing).toMatchObject({ error: 'invalid_request', status: 400 })
    await expect(api.getUser('')).rejects.toMatchObject({ errorCode: 'no_authorization', status: 401 })
  })
})

describe('auth.api: email flows', () => {
  it('signInWithOtp → verifyOtp; resend; resetPasswordForEmail → verifyLink', async () => {
    const email = address('otp')
    await inProcess(() => api.signInWithOtp({ email, data: { via: 'api' } }))
    const first = await s.nextMail(email)
    await inProcess(() => api.resend({ type: 'signup', email }))
    const resent = await s.nextMail(email, 1)
    expect(codeOf(resent)).not.toBe(codeOf(first))
    const verified = await inProcess(() => api.verifyOtp({ type: 'email', email, token: codeOf(resent) }))
    expect(verified.user).toMatchObject({ email, user_metadata: { via: 'api' } })
    expect(verified.session?.access_token).toEqual(expect.any(String))

    await inProcess(() => api.resetPasswordForEmail(email))
    const token = new URL(linkOf(await s.nextMail(email, 2))).searchParams.get('token') ?? ''
    const linked = await inProcess(() => api.verifyLink({ type: 'recovery', token }))
    expect(linked).toMatchObject({ kind: 'session', user: { email } })
  })

  it('PKCE: a magic link verified in-process answers a code that exchangeCodeForSession trades', async () => {
    const email = address('pkce')
    await api.admin.createUser({ email, email_confirm: true })
    const verifier = 'v'.repeat(50)
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    await inProcess(() => api.signInWithOtp({ email, codeChallenge: challenge, codeChallengeMethod: 's256' }))
    const token = new URL(linkOf(await s.nextMail(email))).searchParams.get('token') ?? ''
    expect(token.startsWith('pkce_')).toBe(true)
    const linked = await inProcess(() => api.verifyLink({ type: 'magiclink', token }))
    if (linked.kind !== 'code') throw new Error(`expected a code, got ${linked.kind}`)
    const session = await inProcess(() => api.exchangeCodeForSession(linked.code, verifier))
    expect(session.user.email).toBe(email)
  })
})

describe('auth.api.admin: trusted in-process calls', () => {
  it('creates, reads, lists, updates, invites, generates links, audits and deletes', async () => {
    const { admin } = api
    const email = address('admin')
    const created = await inProcess(() =>
      admin.createUser({
        email,
        password: 'correct horse',
        email_confirm: true,
        app_metadata: { plan: 'pro' },
      }),
    )
    expect(created).toMatchObject({ email, app_metadata: { plan: 'pro', provider: 'email' } })
    expect((await inProcess(() => admin.getUserById(created.id))).id).toBe(created.id)
    const page = await inProcess(() => admin.listUsers({ page: 1, perPage: 1000, filter: 'api-admin' }))
    expect(page.users.map((user) => user.email)).toContain(email)
    expect(page).toMatchObject({ aud: 'authenticated', page: 1, perPage: 1000, nextPage: null })
    const banned = await inProcess(() =>
      admin.updateUserById(created.id, { ban_duration: '1h', role: 'editor' }),
    )
    expect(banned).toMatchObject({ role: 'editor', banned_until: expect.any(String) })

    const invited = address('invited')
    expect(
      (await inProcess(() => admin.inviteUserByEmail(invited, { data: { team: 'a' } }))).invited_at,
    ).toEqual(expect.any(String))
    expect((await s.nextMail(invited)).subject).toBeTruthy()
    const link = await inProcess(() => admin.generateLink({ type: 'recovery', email }))
    expect(link.user.id).toBe(created.id)
    expect(link.properties).toMatchObject({
      verification_type: 'recovery',
      email_otp: expect.stringMatching(/^\d{6}$/),
    })
    expect(link.properties.action_link).toContain(`token=${link.properties.hashed_token}`)

    const audit = await inProcess(() => admin.listAuditLog({ query: 'action:user_invited', perPage: 5 }))
    expect(audit.entries.length).toBeGreaterThan(0)
    expect(audit.entries[0]?.payload).toMatchObject({ action: 'user_invited', actor_id: '' })

    await inProcess(() => admin.deleteUser(created.id))
    await expect(inProcess(() => admin.getUserById(created.id))).rejects.toMatchObject({
      errorCode: 'user_not_found',
      status: 404,
    })
  })

  it('names the acting admin in the audit log when the caller says who acts', async () => {
    const actor = { id: '00000000-0000-4000-8000-00000000a11c', email: 'ops@example.com', phone: null }
    const user = await api.admin.createUser({ email: address('actor') }, { actor })
    const { entries } = await api.admin.listAuditLog({ query: 'author:ops@example.com' })
    expect(entries[0]?.payload).toMatchObject({ actor_id: actor.id, traits: { user_id: user.id } })
  })
})

describe('auth.api: apps and keys', () => {
  it('creates, lists, reads, updates and deletes apps; creates, lists, reads, verifies and revokes keys', async () => {
    const owner = await inProcess(() =>
      api.admin.createUser({ email: address('owner'), email_confirm: true }),
    )
    const app = await inProcess(() =>
      api.apps.create({
        name: 'Partner',
        owner_id: owner.id,
        rate_limit: { requests: 10, window_seconds: 60 },
      }),
    )
    expect(await inProcess(() => api.apps.get(app.id))).toEqual(app)
    expect((await inProcess(() => api.apps.list({ owner_id: owner.id }))).map((a) => a.id)).toEqual([app.id])
    expect(await inProcess(() => api.apps.update(app.id, { name: 'Partner 2' }))).toMatchObject({
      name: 'Partner 2',
      rate_limit: { requests: 10, window_seconds: 60 },
    })
    const key = await inProcess(() => api.keys.create({ name: 'read', type: 'app', app_id: app.id }))
    expect(key).toMatchObject({ user_id: owner.id, scopes: ['read'], key: expect.stringMatching(/^gw_app_/) })
    expect(await inProcess(() => api.keys.verify(key.key))).toMatchObject({ id: key.id })
    expect(await inProcess(() => api.keys.get(key.id))).toMatchObject({ id: key.id, prefix: key.prefix })
    expect((await inProcess(() => api.keys.list({ app_id: app.id }))).map((k) => k.id)).toEqual([key.id])
    expect(await inProcess(() => api.keys.revoke(key.id))).toMatchObject({ revoked_at: expect.any(String) })
    await inProcess(() => api.apps.delete(app.id))
    await expect(api.apps.get(app.id)).rejects.toMatchObject({ code: 'AUTH_APP_NOT_FOUND', status: 404 })
  })

  it("manages a signed-in user's own keys with their access token", async () => {
    const email = address('self')
    await api.admin.createUser({ email, password: 'self service 1', email_confirm: true })
    const { session } = await api.signInWithPassword({ email, password: 'self service 1' })
    const token = session?.access_token as string
    const key = await inProcess(() => api.userKeys.create(token, { name: 'cli', scopes: ['read', 'write'] }))
    expect(key).toMatchObject({ type: 'app', scopes: ['read', 'write'], app_id: null })
    expect((await inProcess(() => api.userKeys.list(token))).map((k) => k.id)).toEqual([key.id])
    await inProcess(() => api.userKeys.revoke(token, key.id))
    await expect(api.userKeys.list('not a token')).rejects.toBeInstanceOf(AuthError)
  })
})

describe('auth.api.oauthGrants (for @groundwork/oauth-provider)', () => {
  it('issues grant sessions bound to their client; refreshes, introspects and revokes them', async () => {
    const email = address('grant')
    const user = await api.admin.createUser({ email, password: 'grant user 1', email_confirm: true })
    const clientId = '7c9e6679-7425-40de-944b-e07fc1f90ae7'
    const grant = await inProcess(() =>
      api.oauthGrants.issue({ userId: user.id, clientId, scope: 'openid email' }),
    )
    const [, payload] = grant.access_token.split('.')
    expect(JSON.parse(Buffer.from(payload as string, 'base64url').toString())).toMatchObject({
      client_id: clientId,
      scope: 'openid email',
      session_id: grant.session_id,
      jti: expect.any(String),
    })
    expect(await inProcess(() => api.oauthGrants.refreshTokenClient(grant.refresh_token))).toEqual({
      clientId,
      userId: user.id,
      scope: 'openid email',
    })
    // Bound to its client: neither GoTrue's refresh nor another client may use it.
    await expect(api.refreshSession(grant.refresh_token)).rejects.toMatchObject({
      code: 'AUTH_REFRESH_TOKEN_NOT_FOUND',
    })
    await expect(api.oauthGrants.refresh(grant.refresh_token, 'another')).rejects.toMatchObject({
      code: 'AUTH_REFRESH_TOKEN_NOT_FOUND',
    })
    const refreshed = await inProcess(() => api.oauthGrants.refresh(grant.refresh_token, clientId))
    expect(await inProcess(() => api.oauthGrants.introspect(refreshed.access_token))).toMatchObject({
      kind: 'user',
    })
    expect(await inProcess(() => api.oauthGrants.revoke(refreshed.refresh_token, 'another'))).toBe(false)
    expect(await inProcess(() => api.oauthGrants.revoke(refreshed.refresh_token, clientId))).toBe(true)
    expect(await api.oauthGrants.introspect(refreshed.access_token)).toBeNull()

    const second = await api.oauthGrants.issue({ userId: user.id, clientId, scope: 'openid' })
    expect(await inProcess(() => api.oauthGrants.revokeSession(second.session_id, clientId))).toBe(true)
    await api.oauthGrants.issue({ userId: user.id, clientId, scope: 'openid' })
    expect(await inProcess(() => api.oauthGrants.revokeGrant(user.id, clientId))).toBe(1)
    await api.oauthGrants.issue({ userId: user.id, clientId, scope: 'openid' })
    expect(await inProcess(() => api.oauthGrants.revokeClient(clientId))).toBe(1)
  })

  it('signs client-credentials tokens that authenticate until revoked', async () => {
    const clientId = '9b2f3c1e-1111-4222-8333-944455556666'
    const { access_token } = await inProcess(() =>
      api.oauthGrants.clientCredentials({
        clientId,
        appId: null,
        scope: 'read',
        allowedTables: ['public.t'],
        expiresIn: 60,
      }),
    )
    const request = () => new Request('http://x/', { headers: { authorization: `Bearer ${access_token}` } })
    expect(await s.auth.authenticate(request())).toMatchObject({
      role: 'authenticated',
      scopes: ['read'],
      allowedTables: ['public.t'],
    })
    expect(await api.oauthGrants.introspect(access_token)).toMatchObject({ kind: 'client_credentials' })
    expect(await api.oauthGrants.revoke(access_token, clientId)).toBe(true)
    await expect(s.auth.authenticate(request())).rejects.toMatchObject({ status: 401 })
    expect(await api.oauthGrants.introspect(access_token)).toBeNull()
  })
})

describe('auth.api: social sign-in and MFA', () => {
  it('starts and finishes external sign-ins, links and unlinks, all in-process', async () => {
    expect(await api.social.providers()).toEqual(['github'])
    const url = new URL(
      await inProcess(() =>
        api.social.authorize({ provider: 'github', redirectTo: 'http://localhost:3000/cb' }),
      ),
    )
    expect(`${url.origin}${url.pathname}`).toBe('http://127.0.0.1:9/login/oauth/authorize')
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('redirect_uri')).toBe(`${s.url}/callback`)
    await expect(
      api.social.authorize({ provider: 'nope', redirectTo: 'http://localhost:3000' }),
    ).rejects.toMatchObject({
      errorCode: 'validation_failed',
    })
    // A state nobody issued: back to the site URL with GoTrue's error parameters.
    const { location } = await inProcess(() =>
      api.social.callback(new URLSearchParams({ state: 'forged', code: 'x' })),
    )
    expect(new URL(location).searchParams.get('error_code')).toBe('bad_oauth_state')
    await expect(
      api.social.signInWithIdToken({ provider: 'github', idToken: 'x.y.z' }),
    ).rejects.toBeInstanceOf(OAuthError)

    const email = address('social')
    await api.admin.createUser({ email, password: 'password 123', email_confirm: true })
    const { session } = await api.signInWithPassword({ email, password: 'password 123' })
    const link = await inProcess(() =>
      api.social.linkIdentity(session.access_token, {
        provider: 'github',
        redirectTo: 'http://localhost:3000',
      }),
    )
    expect(new URL(link).searchParams.get('state')).toBeTruthy()
    // The id_token link checks the user's token before the id_token: a malformed one is refused.
    await expect(
      inProcess(() =>
        api.social.linkIdentityWithIdToken(session.access_token, { provider: 'github', idToken: 'x.y.z' }),
      ),
    ).rejects.toBeInstanceOf(OAuthError)
    const identity = session.user.identities[0]
    await expect(
      inProcess(() => api.social.unlinkIdentity(session.access_token, identity?.identity_id ?? '')),
    ).rejects.toMatchObject({ errorCode: 'single_identity_not_deletable', status: 422 })
  })

  it('enrolls, verifies and removes a TOTP factor, and administers factors, all in-process', async () => {
    const { totpCode } = await import('../src/mfa/totp')
    const email = address('mfa')
    const created = await api.admin.createUser({ email, password: 'password 123', email_confirm: true })
    const { session } = await api.signInWithPassword({ email, password: 'password 123' })
    const factor = await inProcess(() => api.mfa.enroll(session.access_token, { factorType: 'totp' }))
    expect(factor.totp.qr_code.startsWith('<svg')).toBe(true)
    const challenge = await inProcess(() => api.mfa.challenge(session.access_token, factor.id))
    const aal2 = await inProcess(() =>
      api.mfa.verify(session.access_token, factor.id, {
        challengeId: challenge.id,
        code: totpCode(factor.totp.secret),
      }),
    )
    expect((await api.verifyAccessToken(aal2.access_token)).claims.aal).toBe('aal2')
    expect((await inProcess(() => api.mfa.listFactors(aal2.access_token))).map((f) => f.status)).toEqual([
      'verified',
    ])
    const second = await api.mfa.enroll(aal2.access_token, { factorType: 'totp', friendlyName: 'backup' })
    expect((await inProcess(() => api.adminMfa.listFactors(created.id))).length).toBe(2)
    expect((await inProcess(() => api.adminMfa.deleteFactor(created.id, second.id))).id).toBe(second.id)
    expect(await inProcess(() => api.mfa.unenroll(aal2.access_token, factor.id))).toEqual({ id: factor.id })
    await expect(api.mfa.challenge(aal2.access_token, factor.id)).rejects.toMatchObject({
      errorCode: 'mfa_factor_not_found',
    })
  })
})

describe('coverage', () => {
  it('called every method of auth.api and its groups above', () => {
    const groups = ['admin', 'apps', 'keys', 'userKeys', 'oauthGrants', 'social', 'mfa', 'adminMfa'] as const
    const methods = [
      ...Object.keys(s.auth.api).filter((name) => !(groups as readonly string[]).includes(name)),
      ...groups.flatMap((group) => Object.keys(s.auth.api[group]).map((name) => `${group}.${name}`)),
    ]
    expect(methods.filter((name) => !called.has(name))).toEqual([])
  })
})
