import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../src/index'
import { type CoreStack, createCoreStack, TEST_SCRYPT } from './core-support'

let stack: CoreStack

beforeAll(async () => {
  stack = await createCoreStack({
    passwordPolicy: { minLength: 8, requiredCharacters: ['0123456789', 'abcdefghijklmnopqrstuvwxyz'] },
    rateLimits: { signInPerEmail: { max: 3, windowSeconds: 60 }, signUp: { max: 1000, windowSeconds: 60 } },
    // No adapter in front of the handler here: the test names each client's address.
    clientIp: (request) => request.headers.get('x-forwarded-for') ?? '',
  })
  await stack.client().signUp({ email: 'errors@example.com', password: 'password1' })
})
afterAll(async () => {
  await stack.close()
})

const V2024 = { 'X-Supabase-Api-Version': '2024-01-01' }
const badLogin = { email: 'errors@example.com', password: 'wrong-password1' }

describe('GoTrue error format', () => {
  it('answers { code, message } and echoes the version when X-Supabase-Api-Version is sent', async () => {
    const response = await stack.request('POST', '/token?grant_type=password', {
      body: badLogin,
      headers: V2024,
    })
    expect(response.status).toBe(400)
    expect(response.headers.get('x-supabase-api-version')).toBe('2024-01-01')
    expect(response.headers.get('x-sb-error-code')).toBe('invalid_credentials')
    expect(await response.json()).toEqual({
      code: 'invalid_credentials',
      message: 'Invalid login credentials',
    })
  })

  it('answers the legacy { code: <status>, error_code, msg } without the header', async () => {
    const response = await stack.request('POST', '/token?grant_type=password', {
      body: { email: 'other@example.com', password: 'x' },
    })
    expect(response.status).toBe(400)
    expect(response.headers.get('x-supabase-api-version')).toBeNull()
    expect(response.headers.get('x-sb-error-code')).toBe('invalid_credentials')
    expect(await response.json()).toEqual({
      code: 400,
      error_code: 'invalid_credentials',
      msg: 'Invalid login credentials',
    })
  })

  it('treats versions before 2024-01-01 and garbage as the initial version', async () => {
    for (const version of ['2023-12-31', 'latest']) {
      const response = await stack.request('GET', '/user', { headers: { 'X-Supabase-Api-Version': version } })
      expect(response.headers.get('x-supabase-api-version')).toBeNull()
      expect(await response.json()).toMatchObject({ code: 401, error_code: 'no_authorization' })
    }
  })

  it('carries weak_password.reasons in both formats', async () => {
    const modern = await stack.request('POST', '/signup', {
      body: { email: 'weak@example.com', password: 'short' },
      headers: V2024,
    })
    expect(modern.status).toBe(422)
    expect(await modern.json()).toMatchObject({
      code: 'weak_password',
      weak_password: { reasons: ['length', 'characters'] },
    })
    const legacy = await stack.request('POST', '/signup', {
      body: { email: 'weak@example.com', password: 'longenoughbutnodigits' },
    })
    expect(await legacy.json()).toMatchObject({
      code: 422,
      error_code: 'weak_password',
      weak_password: { reasons: ['characters'] },
    })
    const { error } = await stack.client().signUp({ email: 'weak@example.com', password: 'short' })
    expect(error?.name).toBe('AuthWeakPasswordError')
    expect((error as { reasons?: string[] }).reasons).toEqual(['length', 'characters'])
  })

  it('answers OAuth-style for an unsupported grant, bad_json for malformed bodies, 404 for unknown paths', async () => {
    const grant = await stack.request('POST', '/token?grant_type=client_credentials', { body: {} })
    expect(grant.status).toBe(400)
    expect(await grant.json()).toEqual({ error: 'unsupported_grant_type' })
    const bad = await stack.request('POST', '/signup', {
      body: '{"email":',
      headers: { ...V2024, 'content-type': 'application/json' },
    })
    expect(bad.status).toBe(400)
    expect((await bad.json()).code).toBe('bad_json')
    const missing = await stack.request('GET', '/nope', { headers: V2024 })
    expect(missing.status).toBe(404)
    const method = await stack.request('DELETE', '/signup', { headers: V2024 })
    expect(method.status).toBe(405)
  })

  it('validates sign-up input with GoTrue codes', async () => {
    const invalid = await stack.request('POST', '/signup', {
      body: { email: 'not-an-email', password: 'password1' },
      headers: V2024,
    })
    expect(invalid.status).toBe(400)
    expect((await invalid.json()).code).toBe('email_address_invalid')
    const noPassword = await stack.request('POST', '/signup', {
      body: { email: 'a@example.com' },
      headers: V2024,
    })
    expect(noPassword.status).toBe(400)
    expect((await noPassword.json()).code).toBe('validation_failed')
  })
})

describe('sign-in with a password the policy no longer accepts', () => {
  it('succeeds and carries weak_password (auth-js weakPassword)', async () => {
    const hash = await hashPassword('old', TEST_SCRYPT)
    await stack.t.db.query(
      "insert into auth.users (email, encrypted_password, email_confirmed_at) values ('legacy@example.com', $1, now())",
      [hash],
    )
    const { data, error } = await stack
      .client()
      .signInWithPassword({ email: 'legacy@example.com', password: 'old' })
    expect(error).toBeNull()
    expect(data.session).toBeTruthy()
    expect(data.weakPassword).toEqual({ message: expect.any(String), reasons: ['length', 'characters'] })
  })
})

describe('rate limits', () => {
  it('answers 429 over_request_rate_limit with Retry-After past the per-(address, account) sign-in limit', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      const response = await stack.request('POST', '/token?grant_type=password', {
        body: { email: 'limited@example.com', password: 'whatever1' },
        headers: { ...V2024, 'x-forwarded-for': '10.0.0.7' },
      })
      statuses.push(response.status)
      if (response.status === 429) {
        expect(response.headers.get('x-sb-error-code')).toBe('over_request_rate_limit')
        const retryAfter = Number(response.headers.get('retry-after'))
        expect(retryAfter).toBeGreaterThan(0)
        expect(retryAfter).toBeLessThanOrEqual(60)
        expect((await response.json()).code).toBe('over_request_rate_limit')
      }
    }
    expect(statuses).toEqual([400, 400, 400, 429, 429])
    // The counter lives in Postgres, so another instance on the same database sees it too.
    const { rows } = await stack.t.db.query<{ count: number }>(
      "select count from auth.rate_limits where key = 'signin:ip-email:10.0.0.7:limited@example.com'",
    )
    expect(rows[0]?.count).toBe(5)
    // Another client address is not locked out of the account.
    const other = await stack.request('POST', '/token?grant_type=password', {
      body: { email: 'limited@example.com', password: 'whatever1' },
      headers: { ...V2024, 'x-forwarded-for': '10.0.0.8' },
    })
    expect(other.status).toBe(400)
  })
})

describe('settings and health', () => {
  it('serves GET /settings and GET /health as GoTrue', async () => {
    const settings = await (await stack.request('GET', '/settings')).json()
    expect(settings).toMatchObject({
      external: { email: true, phone: false, anonymous_users: true },
      disable_signup: false,
      mailer_autoconfirm: true,
    })
    const health = await stack.request('GET', '/health')
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ name: 'GoTrue' })
  })
})
