/**
 * API keys as REST and realtime see them, composed the way a host composes them:
 * `createRest({ authenticate: auth.authenticate })`, `createRealtime({ authenticate: … })`. Scopes
 * and allowed tables (core's `assertAccess`), validity decided per request in Postgres (a second
 * instance on the same database refuses a revoked or expired key on its very next request),
 * secret keys refused from browsers, budgets in each protocol's format, and policies on the key's
 * claims.
 */
import { createDatabase, type Database } from '@groundwork/core'
import { createRealtime, type Realtime } from '@groundwork/realtime'
import { createRest, type Rest } from '@groundwork/rest'
import { createTestDatabase, requestHandler, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Auth, type CreatedApiKey, createAuth } from '../src/index'

let t: TestDatabase
let auth: Auth
let rest: Rest
let realtime: Realtime
/** A second instance: its own pool, auth and REST on the same database. */
let db2: Database
let auth2: Auth
let rest2: Rest
let ownerId = ''

beforeAll(async () => {
  t = await createTestDatabase()
  await t.db.query(`
    create table public.authors (id serial primary key, name text);
    create table public.notes (id serial primary key, body text, author_id int references public.authors);
    create table public.secrets (id serial primary key, body text);
    create table public.partner_items (id serial primary key, app_id uuid, body text);
    alter table public.partner_items enable row level security;
    -- Visibility decided by the key's app, read from its claims.
    create policy by_app on public.partner_items for select to authenticated, anon
      using (auth.jwt() ->> 'app_id' = app_id::text);
    create function public.count_notes() returns bigint language sql stable as 'select count(*) from public.notes';
    create function public.add_note(body text) returns void language sql volatile
      as 'insert into public.notes (body) values (body)';
    grant select, insert, update, delete on all tables in schema public to anon, authenticated, service_role;
    grant usage on all sequences in schema public to anon, authenticated, service_role;
    grant execute on all functions in schema public to anon, authenticated, service_role;
    insert into public.authors (name) values ('ada');
    insert into public.notes (body, author_id) values ('first', 1), ('second', 1);
    insert into public.secrets (body) values ('hidden');
    select realtime.enable('public.notes');
    select realtime.enable('public.secrets');`)
  auth = createAuth({ db: t.db, jwt: { secret: TEST_JWT_SECRET } })
  rest = createRest({ db: t.db, authenticate: auth.authenticate })
  realtime = createRealtime({ db: t.db, authenticate: auth.authenticate })
  await realtime.start()
  db2 = createDatabase({ connectionString: t.url, max: 4 })
  auth2 = createAuth({ db: db2, jwt: { secret: TEST_JWT_SECRET } })
  rest2 = createRest({ db: db2, authenticate: auth2.authenticate })
  ownerId = (await auth.api.admin.createUser({ email: 'keys@example.com', email_confirm: true })).id
})
afterAll(async () => {
  await realtime?.close()
  await Promise.all([rest?.close(), rest2?.close(), auth?.close(), auth2?.close()])
  await db2?.close()
  await t?.drop()
})

function get(handler: Rest['handler'], path: string, key: string, headers: Record<string, string> = {}) {
  return requestHandler(handler, path, {
    headers: { apikey: key, authorization: `Bearer ${key}`, ...headers },
  })
}

function send(method: string, path: string, key: string, json?: unknown) {
  return requestHandler(rest.handler, path, {
    method,
    headers: { apikey: key, authorization: `Bearer ${key}` },
    ...(json === undefined ? {} : { json }),
  })
}

function appKey(input: Partial<Parameters<Auth['api']['keys']['create']>[0]> = {}): Promise<CreatedApiKey> {
  return auth.api.keys.create({ name: 'test', type: 'app', user_id: ownerId, ...input })
}

describe('scopes', () => {
  it('a read key cannot POST, PATCH, DELETE or call a volatile function; it reads and calls stable ones', async () => {
    const { key } = await appKey({ scopes: ['read'] })
    expect((await get(rest.handler, '/notes?select=body', key)).status).toBe(200)
    expect((await get(rest.handler, '/rpc/count_notes', key)).status).toBe(200)
    for (const [method, path, body] of [
      ['POST', '/notes', { body: 'x' }],
      ['PATCH', '/notes?id=eq.1', { body: 'x' }],
      ['DELETE', '/notes?id=eq.1', undefined],
      ['POST', '/rpc/add_note', { body: 'x' }],
    ] as const) {
      const response = await send(method, path, key, body)
      expect(response.status, `${method} ${path}`).toBe(403)
      expect(await response.json()).toMatchObject({ code: 'CORE_SCOPE_DENIED', message: expect.any(String) })
    }
    const { rows } = await t.db.query('select count(*)::int as n from public.notes')
    expect(rows[0]?.n).toBe(2)
    const writer = await appKey({ scopes: ['read', 'write'] })
    expect((await send('POST', '/rpc/add_note', writer.key, { body: 'third' })).status).toBe(204)
  })
})

describe('allowed tables', () => {
  it('a key for one table cannot read another directly, through an embed, or via realtime', async () => {
    const { key } = await appKey({ scopes: ['read'], allowed_tables: ['public.notes'] })
    expect((await get(rest.handler, '/notes?select=body', key)).status).toBe(200)
    const direct = await get(rest.handler, '/secrets', key)
    expect(direct.status).toBe(403)
    expect(await direct.json()).toMatchObject({ code: 'CORE_TABLE_DENIED' })
    const embed = await get(rest.handler, '/notes?select=body,authors(name)', key)
    expect(embed.status).toBe(403)
    expect(await embed.json()).toMatchObject({ code: 'CORE_TABLE_DENIED' })
    const stream = await get(realtime.handler, '/stream?table=secrets', key)
    expect(stream.status).toBe(403)
    expect(await stream.json()).toMatchObject({ code: 'CORE_TABLE_DENIED' })
    const controller = new AbortController()
    const allowed = await requestHandler(realtime.handler, '/stream?table=notes', {
      headers: { authorization: `Bearer ${key}` },
      signal: controller.signal,
    })
    expect(allowed.status).toBe(200)
    controller.abort()
    await allowed.body?.cancel().catch(() => {})
  })
})

describe('validity on every instance', () => {
  it('a revoked key is refused on the very next request by a second instance', async () => {
    const { id, key } = await appKey()
    // Both instances have the key cached and answer it.
    expect((await get(rest.handler, '/notes?select=id', key)).status).toBe(200)
    expect((await get(rest2.handler, '/notes?select=id', key)).status).toBe(200)
    await auth.api.keys.revoke(id)
    const refused = await get(rest2.handler, '/notes?select=id', key)
    expect(refused.status).toBe(401)
    expect(await refused.json()).toMatchObject({ code: 'PT401', message: 'API key revoked' })
    // So do realtime, and auth's own endpoints (a direct query there).
    expect((await get(realtime.handler, '/stream?table=notes', key)).status).toBe(401)
    expect((await get(auth2.handler, '/settings', key)).status).toBe(401)
  })

  it('an expired key is refused on the very next request by a second instance', async () => {
    const { id, key } = await appKey({ expires_at: new Date(Date.now() + 60_000) })
    expect((await get(rest2.handler, '/notes?select=id', key)).status).toBe(200)
    // Postgres decides, not the cache: expire it behind the instances' backs.
    await t.db.query("update auth.api_keys set expires_at = now() - interval '1 second' where id = $1", [id])
    const refused = await get(rest2.handler, '/notes?select=id', key)
    expect(refused.status).toBe(401)
    expect(await refused.json()).toMatchObject({ code: 'PT401', message: 'API key expired' })
    const short = await appKey({ expires_at: new Date(Date.now() + 1500) })
    expect((await get(rest2.handler, '/notes?select=id', short.key)).status).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 1600))
    expect((await get(rest2.handler, '/notes?select=id', short.key)).status).toBe(401)
  })

  it('an app key stops working when its user is banned, on the very next request', async () => {
    const user = await auth.api.admin.createUser({ email: 'banned-later@example.com', email_confirm: true })
    const { key } = await appKey({ user_id: user.id })
    expect((await get(rest2.handler, '/notes?select=id', key)).status).toBe(200)
    await auth.api.admin.updateUserById(user.id, { ban_duration: '24h' })
    expect((await get(rest2.handler, '/notes?select=id', key)).status).toBe(401)
  })

  it('a key beside a user JWT: the JWT is the principal, and a revoked key still refuses the request', async () => {
    const email = 'jwt-and-key@example.com'
    await auth.api.admin.createUser({ email, password: 'a password 123', email_confirm: true })
    const { session } = await auth.api.signInWithPassword({ email, password: 'a password 123' })
    const token = session?.access_token as string
    const publishable = await auth.api.keys.create({ name: 'web', type: 'publishable', scopes: ['read'] })
    const principal = await auth.authenticate(
      new Request('http://localhost/', {
        headers: { apikey: publishable.key, authorization: `Bearer ${token}` },
      }),
    )
    // The user's principal, narrowed by the key's scopes, with the key's validity check.
    expect(principal).toMatchObject({ kind: 'jwt', role: 'authenticated', scopes: ['read'] })
    expect(principal.checks).toHaveLength(1)
    const headers = { apikey: publishable.key, authorization: `Bearer ${token}` }
    expect((await requestHandler(rest2.handler, '/notes?select=id', { headers })).status).toBe(200)
    expect(
      (await requestHandler(rest2.handler, '/notes', { method: 'POST', headers, json: { body: 'x' } }))
        .status,
    ).toBe(403)
    await auth.api.keys.revoke(publishable.id)
    expect((await requestHandler(rest2.handler, '/notes?select=id', { headers })).status).toBe(401)
  })
})

describe('secret keys', () => {
  it('run as the service role from a server, and are refused with an Origin header', async () => {
    const secret = await auth.api.keys.create({ name: 'server', type: 'secret' })
    const server = await get(rest.handler, '/secrets?select=body', secret.key)
    expect(server.status).toBe(200)
    expect(await server.json()).toEqual([{ body: 'hidden' }])
    const browser = await get(rest.handler, '/secrets?select=body', secret.key, {
      origin: 'https://app.example',
    })
    expect(browser.status).toBe(401)
    expect(await browser.json()).toMatchObject({
      code: 'PGRST301',
      message: 'Forbidden use of secret API key in browser',
    })
  })
})

describe('budgets', () => {
  it('REST sends RateLimit headers, then 429 in PostgREST format with Retry-After', async () => {
    const app = await auth.api.apps.create({
      name: 'rest-budget',
      owner_id: ownerId,
      rate_limit: { requests: 3, window_seconds: 3600 },
    })
    const { key } = await appKey({ app_id: app.id })
    const remaining: (string | null)[] = []
    for (let i = 0; i < 3; i++) {
      const response = await get(rest.handler, '/notes?select=id', key)
      expect(response.status).toBe(200)
      expect(response.headers.get('ratelimit-limit')).toBe('3')
      expect(Number(response.headers.get('ratelimit-reset'))).toBeGreaterThan(0)
      remaining.push(response.headers.get('ratelimit-remaining'))
    }
    expect(remaining).toEqual(['2', '1', '0'])
    const refused = await get(rest.handler, '/notes?select=id', key)
    expect(refused.status).toBe(429)
    expect(await refused.json()).toEqual({
      code: 'AUTH_OVER_REQUEST_RATE_LIMIT',
      details: null,
      hint: null,
      message: expect.stringContaining("this app's budget of 3 requests per 3600 s"),
    })
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(refused.headers.get('ratelimit-remaining')).toBe('0')
    // One budget for the app, whichever instance serves: the second has nothing left either.
    expect((await get(rest2.handler, '/notes?select=id', key)).status).toBe(429)
  })

  it('realtime sends RateLimit headers on the stream, then 429 in its { code, message } format', async () => {
    const app = await auth.api.apps.create({
      name: 'rt-budget',
      owner_id: ownerId,
      rate_limit: { requests: 1, window_seconds: 3600 },
    })
    const { key } = await appKey({ app_id: app.id })
    const controller = new AbortController()
    const stream = await requestHandler(realtime.handler, '/stream?table=notes', {
      headers: { authorization: `Bearer ${key}` },
      signal: controller.signal,
    })
    expect(stream.status).toBe(200)
    expect(stream.headers.get('ratelimit-limit')).toBe('1')
    expect(stream.headers.get('ratelimit-remaining')).toBe('0')
    controller.abort()
    await stream.body?.cancel().catch(() => {})
    const refused = await get(realtime.handler, '/stream?table=notes', key)
    expect(refused.status).toBe(429)
    expect(await refused.json()).toEqual({
      code: 'AUTH_OVER_REQUEST_RATE_LIMIT',
      message: expect.stringContaining('budget'),
    })
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
  })
})

describe('policies', () => {
  it("a policy on auth.jwt() ->> 'app_id' decides what each app's key sees", async () => {
    const partner = await auth.api.apps.create({ name: 'partner', owner_id: ownerId })
    const other = await auth.api.apps.create({ name: 'other', owner_id: ownerId })
    await t.db.query('insert into public.partner_items (app_id, body) values ($1, $2), ($3, $4)', [
      partner.id,
      'for partner',
      other.id,
      'for other',
    ])
    const partnerKey = await appKey({ app_id: partner.id })
    const otherKey = await auth.api.keys.create({ name: 'web', type: 'publishable', app_id: other.id })
    const seen = async (key: string) =>
      (await (await get(rest.handler, '/partner_items?select=body', key)).json()) as unknown
    expect(await seen(partnerKey.key)).toEqual([{ body: 'for partner' }])
    expect(await seen(otherKey.key)).toEqual([{ body: 'for other' }])
    const plain = await appKey()
    expect(await seen(plain.key)).toEqual([])
  })
})
