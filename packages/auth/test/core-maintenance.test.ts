import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH_CLEANUP_TASK } from '../src/index'
import { type CoreStack, createCoreStack } from './core-support'

let stack: CoreStack

beforeAll(async () => {
  stack = await createCoreStack({ cors: ['https://app.example.com'], auditRetention: 30 * 86400 })
})
afterAll(async () => {
  await stack.close()
})

describe('CORS', () => {
  it('answers preflights from allowed origins and decorates responses', async () => {
    const preflight = await stack.request('OPTIONS', '/token', {
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'apikey, content-type, x-supabase-api-version',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    expect(preflight.headers.get('access-control-allow-headers')).toBe(
      'apikey, content-type, x-supabase-api-version',
    )
    const actual = await stack.request('GET', '/settings', { headers: { origin: 'https://app.example.com' } })
    expect(actual.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    expect(actual.headers.get('access-control-expose-headers')).toContain('x-sb-error-code')
  })

  it('sends no CORS headers to other origins', async () => {
    const preflight = await stack.request('OPTIONS', '/token', {
      headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' },
    })
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
    const actual = await stack.request('GET', '/settings', { headers: { origin: 'https://evil.test' } })
    expect(actual.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('concurrency', () => {
  it('turns concurrent sign-ups of one address into one account and GoTrue errors, never a 500', async () => {
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        stack.request('POST', '/signup', {
          body: { email: 'race@example.com', password: 'correct horse' },
          headers: { 'X-Supabase-Api-Version': '2024-01-01' },
        }),
      ),
    )
    const statuses = responses.map((response) => response.status).sort()
    expect(statuses.filter((status) => status === 200)).toHaveLength(1)
    expect(statuses.every((status) => status === 200 || status === 422)).toBe(true)
    const { rows } = await stack.t.db.query<{ n: number }>(
      "select count(*)::int as n from auth.users where email = 'race@example.com'",
    )
    expect(rows[0]?.n).toBe(1)
  })
})

describe('cleanup', () => {
  it('removes expired one-time tokens, flow states, ended sessions and old rate-limit windows', async () => {
    const { data } = await stack.client().signUp({ email: 'clean@example.com', password: 'correct horse' })
    const userId = data.user?.id as string
    const db = stack.t.db
    await db.query(
      `insert into auth.one_time_tokens (user_id, token_type, token_hash, relates_to, created_at)
       values ($1, 'recovery_token', 'old', 'clean@example.com', now() - interval '2 hours'),
              ($1, 'confirmation_token', 'fresh', 'clean@example.com', now())`,
      [userId],
    )
    await db.query(
      `insert into auth.flow_state (user_id, auth_code, code_challenge_method, code_challenge, provider_type, authentication_method, created_at)
       values ($1, 'x', 's256', 'c', 'email', 'magiclink', now() - interval '2 days')`,
      [userId],
    )
    await db.query("update auth.sessions set not_after = now() - interval '1 minute' where user_id = $1", [
      userId,
    ])
    await db.query(
      "insert into auth.rate_limits (key, window_start, count) values ('old', now() - interval '2 days', 1)",
    )
    await db.query(
      "insert into auth.audit_log_entries (payload, created_at) values ('{}', now() - interval '31 days')",
    )
    const removed = await stack.auth.cleanup()
    expect(removed).toMatchObject({
      oneTimeTokens: 1,
      flowStates: 1,
      sessions: 1,
      rateLimits: 1,
      auditLogEntries: 1,
    })
    const { rows } = await db.query<{ token_hash: string }>(
      'select token_hash from auth.one_time_tokens where user_id = $1',
      [userId],
    )
    expect(rows.map((row) => row.token_hash)).toEqual(['fresh'])
    expect(stack.auth.tasks.map((task) => task.name)).toEqual([AUTH_CLEANUP_TASK])
  })
})

describe('routing', () => {
  it('strips basePath when present, routes relative paths as they are, and 404s unknown ones', async () => {
    const inside = await stack.auth.handler(new Request('http://x/auth/v1/health'))
    expect(inside.status).toBe(200)
    const outside = await stack.auth.handler(new Request('http://x/elsewhere/health'))
    expect(outside.status).toBe(404)
    // A host that already stripped the mount point (app.use('/auth/v1', …)) hands over relative paths.
    const relative = await stack.auth.handler(new Request('http://x/settings'))
    expect(relative.status).toBe(200)
  })

  it('answers HEAD like GET without a body, but never runs a GET with side effects (link scanners)', async () => {
    const head = await stack.request('HEAD', '/settings')
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
    const { data } = await stack.client().signUp({ email: 'head@example.com', password: 'correct horse' })
    const session = data.session as { access_token: string }
    for (const path of ['/verify?type=magiclink&token=pkce_x', '/reauthenticate']) {
      const refused = await stack.request('HEAD', path, {
        headers: { authorization: `Bearer ${session.access_token}` },
      })
      expect(refused.status).toBe(405)
      expect(refused.headers.get('allow')).toBe('GET')
    }
  })

  it('refuses an encoded "/" in a path parameter with 400, never another route or a 500', async () => {
    const response = await stack.request('GET', '/admin/users/a%2Fb', {
      headers: { authorization: `Bearer ${stack.serviceKey}` },
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error_code: 'validation_failed' })
  })
})
