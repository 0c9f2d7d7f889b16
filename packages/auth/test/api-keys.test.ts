/**
 * Apps and API keys in auth itself: the admin and self-service endpoints, what is stored, the
 * owner rule, revocation notices, `last_used_at` batching, and the GoTrue-format answers to keys
 * (401, 429 with `RateLimit-*`). REST and realtime composed with `auth.authenticate` are in
 * api-keys-access.test.ts; budgets across instances in api-keys-budget.test.ts.
 */
import { createHash } from 'node:crypto'
import { createDatabase } from '@groundwork/core'
import { TEST_JWT_SECRET } from '@groundwork/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthError, createAuth, createKeyAdmin } from '../src/index'
import { createStack, type Stack } from './support/stack'

let s: Stack
let owner: { id: string; token: string }
let other: { id: string; token: string }

const V = { 'x-supabase-api-version': '2024-01-01' }

async function call(
  method: string,
  path: string,
  options: { key?: string; apikey?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = { ...V, ...options.headers }
  if (options.key) headers.authorization = `Bearer ${options.key}`
  headers.apikey = options.apikey ?? options.key ?? s.anonKey
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${s.url}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers }
}

async function signedIn(email: string): Promise<{ id: string; token: string }> {
  const user = await s.auth.api.admin.createUser({
    email,
    password: 'key test password 1',
    email_confirm: true,
  })
  const { session } = await s.auth.api.signInWithPassword({ email, password: 'key test password 1' })
  return { id: user.id, token: session?.access_token ?? '' }
}

beforeAll(async () => {
  s = await createStack({ rateLimits: { signIn: false, signInPerEmail: false } })
  owner = await signedIn('owner@example.com')
  other = await signedIn('other@example.com')
})
afterAll(async () => {
  await s?.auth.close()
  await s?.close()
})

describe('admin endpoints', () => {
  it('create an app and a key over HTTP; the key is answered once and only its SHA-256 is stored', async () => {
    const app = await call('POST', '/admin/apps', {
      key: s.serviceKey,
      body: {
        name: 'Reports',
        description: 'nightly',
        owner_id: owner.id,
        rate_limit: { requests: 100, window_seconds: 60 },
      },
    })
    expect(app.status).toBe(201)
    expect(app.body).toMatchObject({
      name: 'Reports',
      description: 'nightly',
      owner_id: owner.id,
      rate_limit: { requests: 100, window_seconds: 60 },
    })
    const created = await call('POST', '/admin/api-keys', {
      key: s.serviceKey,
      body: { name: 'export', type: 'app', app_id: app.body.id, allowed_tables: ['public.orders'] },
    })
    expect(created.status).toBe(201)
    const key = created.body.key as string
    expect(key).toMatch(/^gw_app_[0-9A-Za-z]{40}$/)
    expect(created.body).toMatchObject({
      type: 'app',
      prefix: key.slice(0, 15),
      app_id: app.body.id,
      // An app key acts as the app's owner, read-only unless told otherwise.
      user_id: owner.id,
      scopes: ['read'],
      allowed_tables: ['public.orders'],
      revoked_at: null,
    })
    const listed = await call('GET', `/admin/api-keys?app_id=${app.body.id}`, { key: s.serviceKey })
    expect(listed.status).toBe(200)
    expect(listed.body.keys).toEqual([expect.objectContaining({ id: created.body.id })])
    expect(JSON.stringify(listed.body)).not.toContain(key)
    const { rows } = await s.t.db.query('select secret_hash from auth.api_keys where id = $1', [
      created.body.id,
    ])
    expect(rows[0]?.secret_hash).toBe(createHash('sha256').update(key).digest('hex'))
    expect(JSON.stringify(rows)).not.toContain(key.slice(15))

    const shown = await call('GET', `/admin/apps/${app.body.id}`, { key: s.serviceKey })
    expect(shown.body).toEqual(app.body)
    const updated = await call('PUT', `/admin/apps/${app.body.id}`, {
      key: s.serviceKey,
      body: { rate_limit: null, description: null },
    })
    expect(updated.body).toMatchObject({ name: 'Reports', description: null, rate_limit: null })
    expect((await call('DELETE', `/admin/api-keys/${created.body.id}`, { key: s.serviceKey })).status).toBe(
      204,
    )
    expect(
      (await call('GET', `/admin/api-keys/${created.body.id}`, { key: s.serviceKey })).body,
    ).toMatchObject({
      revoked_at: expect.any(String),
    })
    expect((await call('DELETE', `/admin/apps/${app.body.id}`, { key: s.serviceKey })).status).toBe(204)
    expect((await call('GET', `/admin/apps/${app.body.id}`, { key: s.serviceKey })).body).toMatchObject({
      code: 'app_not_found',
    })
  })

  it('answer GoTrue errors naming the field for invalid input', async () => {
    const cases: [unknown, string][] = [
      [{ name: '', type: 'app' }, 'name'],
      [{ name: 'x', type: 'root' }, 'type'],
      [{ name: 'x', type: 'app', user_id: owner.id, scopes: ['delete'] }, 'scopes.0'],
      [{ name: 'x', type: 'app', user_id: owner.id, allowed_tables: ['orders'] }, 'allowed_tables.0'],
      [{ name: 'x', type: 'app', user_id: owner.id, expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
      [{ name: 'x', type: 'secret', scopes: ['read'] }, 'scopes'],
      [{ name: 'x', type: 'publishable', user_id: owner.id }, 'user_id'],
      [{ name: 'x', type: 'app' }, 'user_id'],
    ]
    for (const [body, field] of cases) {
      const answer = await call('POST', '/admin/api-keys', { key: s.serviceKey, body })
      expect(answer.status, JSON.stringify(body)).toBe(400)
      expect(answer.body.code).toBe('validation_failed')
      expect(answer.body.message).toMatch(new RegExp(`^${field.replace('.', '\\.')}:`))
    }
    const missing = await call('POST', '/admin/api-keys', {
      key: s.serviceKey,
      body: { name: 'x', type: 'app', app_id: '00000000-0000-4000-8000-000000000001' },
    })
    expect(missing).toMatchObject({ status: 404, body: { code: 'app_not_found' } })
  })

  it('let in the service role and admin-scoped keys only; a narrowed key cannot mint a secret key', async () => {
    const admin = await s.auth.api.keys.create({
      name: 'ops',
      type: 'app',
      user_id: owner.id,
      scopes: ['admin'],
    })
    const reader = await s.auth.api.keys.create({ name: 'reader', type: 'app', user_id: owner.id })
    const secret = await s.auth.api.keys.create({ name: 'server', type: 'secret' })
    expect((await call('GET', '/admin/apps', { key: admin.key })).status).toBe(200)
    expect((await call('GET', '/admin/users', { key: admin.key })).status).toBe(200)
    expect((await call('GET', '/admin/apps', { key: secret.key })).status).toBe(200)
    expect(await call('GET', '/admin/apps', { key: reader.key })).toMatchObject({
      status: 403,
      body: { code: 'not_admin' },
    })
    expect(await call('GET', '/admin/apps', { key: owner.token })).toMatchObject({ status: 403 })
    expect(
      await call('POST', '/admin/api-keys', { key: admin.key, body: { name: 'escalate', type: 'secret' } }),
    ).toMatchObject({ status: 403, body: { code: 'not_admin' } })
    const minted = await call('POST', '/admin/api-keys', {
      key: secret.key,
      body: { name: 'another', type: 'secret' },
    })
    expect(minted.status).toBe(201)
    // The audit log names what happened to keys.
    const { entries } = await s.auth.api.admin.listAuditLog({ query: 'action:api_key_created' })
    expect(entries.length).toBeGreaterThanOrEqual(4)
  })

  it('refuse a secret key from a browser (an Origin header or a browser User-Agent)', async () => {
    const secret = await s.auth.api.keys.create({ name: 'server', type: 'secret' })
    const fromPage = await call('GET', '/admin/apps', {
      key: secret.key,
      headers: { origin: 'https://app.test' },
    })
    expect(fromPage).toMatchObject({ status: 401, body: { code: 'secret_key_in_browser' } })
    const agent = await call('GET', '/admin/apps', {
      key: secret.key,
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' },
    })
    expect(agent.status).toBe(401)
    await expect(
      s.auth.authenticate(
        new Request('http://localhost/rest/v1/todos', {
          headers: { apikey: secret.key, origin: 'https://x.test' },
        }),
      ),
    ).rejects.toMatchObject({ code: 'AUTH_SECRET_KEY_IN_BROWSER', status: 401 })
  })

  it('answer 401 invalid_api_key for a malformed, unknown, wrong, revoked or expired key', async () => {
    const key = await s.auth.api.keys.create({ name: 'short-lived', type: 'publishable' })
    const wrong = `${key.key.slice(0, -4)}AAAA`
    for (const bad of ['gw_app_nope', `gw_app_${'x'.repeat(40)}`, wrong]) {
      expect(await call('GET', '/settings', { apikey: bad })).toMatchObject({
        status: 401,
        body: { code: 'invalid_api_key', message: 'Invalid API key' },
      })
    }
    expect((await call('GET', '/settings', { apikey: key.key })).status).toBe(200)
    await s.auth.api.keys.revoke(key.id)
    expect(await call('GET', '/settings', { apikey: key.key })).toMatchObject({
      status: 401,
      body: { code: 'invalid_api_key', message: 'API key revoked' },
    })
    await expect(s.auth.api.keys.verify(key.key)).rejects.toMatchObject({ code: 'AUTH_INVALID_API_KEY' })
  })
})

describe('the owner of an app', () => {
  it('cannot be deleted (hard or soft) while the app exists: a GoTrue 409, not a 500', async () => {
    const user = await s.auth.api.admin.createUser({ email: 'app-owner@example.com', email_confirm: true })
    const app = await s.auth.api.apps.create({ name: 'Owned', owner_id: user.id })
    for (const soft of [false, true]) {
      const error = await s.auth.api.admin.deleteUser(user.id, soft).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(AuthError)
      expect(error).toMatchObject({ code: 'AUTH_USER_OWNS_APPS', status: 409 })
    }
    const overHttp = await call('DELETE', `/admin/users/${user.id}`, { key: s.serviceKey })
    expect(overHttp).toMatchObject({ status: 409, body: { code: 'user_owns_apps' } })
    // The foreign key holds even for SQL that goes around the API: 23503 foreign_key_violation
    // up to PostgreSQL 17, 23001 restrict_violation from 18 on (ON DELETE RESTRICT is now reported as such).
    const bypass = await s.t.db
      .query('delete from auth.users where id = $1', [user.id])
      .catch((e: unknown) => e)
    expect(['23503', '23001']).toContain((bypass as { code?: string }).code)
    await s.auth.api.apps.delete(app.id)
    await s.auth.api.admin.deleteUser(user.id)
    await expect(s.auth.api.admin.getUserById(user.id)).rejects.toMatchObject({ code: 'AUTH_USER_NOT_FOUND' })
  })
})

describe('self-service keys', () => {
  it('a signed-in user lists, creates and revokes their own app keys, with only their own apps', async () => {
    const mine = await s.auth.api.apps.create({ name: 'Mine', owner_id: owner.id })
    const theirs = await s.auth.api.apps.create({ name: 'Theirs', owner_id: other.id })
    const created = await call('POST', '/user/api-keys', {
      key: owner.token,
      body: { name: 'laptop', app_id: mine.id, scopes: ['read', 'write'] },
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      type: 'app',
      user_id: owner.id,
      app_id: mine.id,
      scopes: ['read', 'write'],
    })
    expect(created.body.key).toMatch(/^gw_app_/)
    expect(
      await call('POST', '/user/api-keys', { key: owner.token, body: { name: 'x', app_id: theirs.id } }),
    ).toMatchObject({ status: 404, body: { code: 'app_not_found' } })
    const list = await call('GET', '/user/api-keys', { key: owner.token })
    expect((list.body.keys as { id: string }[]).map((k) => k.id)).toContain(created.body.id)
    const foreign = await call('GET', '/user/api-keys', { key: other.token })
    expect((foreign.body.keys as { id: string }[]).map((k) => k.id)).not.toContain(created.body.id)
    expect(await call('DELETE', `/user/api-keys/${created.body.id}`, { key: other.token })).toMatchObject({
      status: 404,
      body: { code: 'api_key_not_found' },
    })
    // An API key cannot mint or revoke keys: self-service takes a session's access token.
    expect(
      (await call('POST', '/user/api-keys', { key: created.body.key as string, body: { name: 'more' } }))
        .status,
    ).toBe(403)
    expect((await call('DELETE', `/user/api-keys/${created.body.id}`, { key: owner.token })).status).toBe(204)
    expect(await s.auth.api.keys.get(created.body.id as string)).toMatchObject({
      revoked_at: expect.any(String),
    })
    expect((await call('GET', '/user/api-keys', { key: '' })).status).toBe(401)
  })
})

describe('claims and revocation notices', () => {
  it('give a key the claims policies read: role, sub, app_id, key_id, scopes; auth.app_id() and auth.key_id()', async () => {
    const app = await s.auth.api.apps.create({ name: 'Claims', owner_id: owner.id })
    const key = await s.auth.api.keys.create({
      name: 'k',
      type: 'app',
      app_id: app.id,
      scopes: ['read', 'write'],
    })
    const principal = await s.auth.authenticate(
      new Request('http://localhost/', { headers: { authorization: `Bearer ${key.key}` } }),
    )
    expect(principal).toMatchObject({
      kind: 'api-key',
      role: 'authenticated',
      app: app.id,
      keyId: key.id,
      scopes: ['read', 'write'],
      claims: {
        role: 'authenticated',
        sub: owner.id,
        app_id: app.id,
        key_id: key.id,
        scopes: ['read', 'write'],
      },
    })
    const { rows } = await s.t.db.withClaims(
      principal.claims,
      (tx) => tx.query('select auth.uid() as uid, auth.app_id() as app, auth.key_id() as key'),
      { checks: principal.checks ?? [] },
    )
    expect(rows[0]).toEqual({ uid: owner.id, app: app.id, key: key.id })
    const publishable = await s.auth.api.keys.create({ name: 'web', type: 'publishable', app_id: app.id })
    expect(
      await s.auth.authenticate(new Request('http://localhost/', { headers: { apikey: publishable.key } })),
    ).toMatchObject({ role: 'anon', claims: { role: 'anon', app_id: app.id, key_id: publishable.id } })
  })

  it('announce a revoked key, and the keys of a deleted app, on groundwork_revocations', async () => {
    const app = await s.auth.api.apps.create({ name: 'Notify', owner_id: owner.id })
    const a = await s.auth.api.keys.create({ name: 'a', type: 'app', app_id: app.id })
    const b = await s.auth.api.keys.create({ name: 'b', type: 'publishable', app_id: app.id })
    const listener = new pg.Client({ connectionString: s.t.url })
    await listener.connect()
    const payloads: string[] = []
    listener.on('notification', (message) => payloads.push(message.payload ?? ''))
    await listener.query('listen groundwork_revocations')
    try {
      await s.auth.api.keys.revoke(a.id)
      await s.auth.api.keys.revoke(a.id) // idempotent: announced once
      await s.auth.api.apps.delete(app.id)
      await expect.poll(() => payloads.length).toBe(3)
      expect(payloads.map((p) => JSON.parse(p))).toEqual([
        { kind: 'api_key', key_id: a.id },
        expect.objectContaining({ kind: 'api_key' }),
        expect.objectContaining({ kind: 'api_key' }),
      ])
      expect(new Set(payloads.slice(1).map((p) => JSON.parse(p).key_id))).toEqual(new Set([a.id, b.id]))
    } finally {
      await listener.end()
    }
  })

  it("judge keys in auth.revoked_principals (realtime's recheck after its listener reconnects)", async () => {
    const live = await s.auth.api.keys.create({ name: 'live', type: 'publishable' })
    const gone = await s.auth.api.keys.create({ name: 'gone', type: 'publishable' })
    await s.auth.api.keys.revoke(gone.id)
    const { rows } = await s.t.db.query('select i, kind from auth.revoked_principals($1::jsonb) order by i', [
      JSON.stringify([
        { key_id: live.id },
        { key_id: gone.id },
        { sub: owner.id, key_id: gone.id },
        { key_id: 'x' },
      ]),
    ])
    expect(rows).toEqual([
      { i: 1, kind: 'api_key' },
      { i: 2, kind: 'api_key' },
    ])
  })

  it('write last_used_at in batches, never per request, and on close()', async () => {
    const db = createDatabase({ connectionString: s.t.url, max: 2 })
    const instance = createAuth({ db, jwt: { secret: TEST_JWT_SECRET }, apiKeys: { lastUsedInterval: 3600 } })
    try {
      const key = await instance.api.keys.create({ name: 'busy', type: 'publishable' })
      const before = await s.t.db.query<{ n: string }>(
        "select n_tup_upd + n_tup_hot_upd as n from pg_stat_user_tables where relid = 'auth.api_keys'::regclass",
      )
      for (let i = 0; i < 50; i++) {
        await instance.authenticate(new Request('http://localhost/', { headers: { apikey: key.key } }))
      }
      expect((await instance.api.keys.get(key.id)).last_used_at).toBeNull()
      await instance.close()
      expect((await instance.api.keys.get(key.id)).last_used_at).not.toBeNull()
      const after = await s.t.db.query<{ n: string }>(
        "select n_tup_upd + n_tup_hot_upd as n from pg_stat_user_tables where relid = 'auth.api_keys'::regclass",
      )
      // Statistics arrive late and count other tests' writes too: 50 uses are far fewer writes.
      expect(Number(after.rows[0]?.n) - Number(before.rows[0]?.n)).toBeLessThan(10)
    } finally {
      await db.close()
    }
  })
})

describe('budgets in GoTrue format', () => {
  it('send RateLimit headers, then 429 over_request_rate_limit with Retry-After', async () => {
    const app = await s.auth.api.apps.create({
      name: 'Tiny',
      rate_limit: { requests: 3, window_seconds: 3600 },
    })
    const key = await s.auth.api.keys.create({ name: 'web', type: 'publishable', app_id: app.id })
    const remaining: (string | null)[] = []
    for (let i = 0; i < 3; i++) {
      const answer = await call('GET', '/settings', { apikey: key.key })
      expect(answer.status).toBe(200)
      expect(answer.headers.get('ratelimit-limit')).toBe('3')
      remaining.push(answer.headers.get('ratelimit-remaining'))
    }
    expect(remaining).toEqual(['2', '1', '0'])
    const refused = await call('GET', '/settings', { apikey: key.key })
    expect(refused.status).toBe(429)
    expect(refused.body).toEqual({
      code: 'over_request_rate_limit',
      message: expect.stringContaining('this app'),
    })
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(refused.headers.get('ratelimit-remaining')).toBe('0')
    expect(refused.headers.get('x-sb-error-code')).toBe('over_request_rate_limit')
  })
})

describe('createKeyAdmin', () => {
  it('manages apps and keys with only a database (what the CLI uses)', async () => {
    const admin = createKeyAdmin({ db: s.t.db })
    const app = await admin.apps.create({ name: 'Cron' })
    const key = await admin.keys.create({ name: 'nightly', type: 'secret', app_id: app.id })
    expect(await admin.keys.verify(key.key)).toMatchObject({ id: key.id, type: 'secret', app_id: app.id })
    expect((await admin.apps.list()).map((a) => a.id)).toContain(app.id)
    await expect(admin.apps.get('not-a-uuid')).rejects.toMatchObject({ code: 'AUTH_APP_NOT_FOUND' })
    expect(() => createKeyAdmin({ db: {} as never })).toThrow(/db/)
  })
})
