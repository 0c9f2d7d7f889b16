import { createJwtAuthenticator, type Principal } from '@groundwork/core'
import {
  createTestDatabase,
  requestHandler,
  signTestToken,
  TEST_JWT_SECRET,
  type TestDatabase,
} from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRealtime, type Realtime } from '../src/index'
import { openStream, serve } from './helpers'

let t: TestDatabase
let realtime: Realtime
let server: Awaited<ReturnType<typeof serve>>
const principals = new Map<string, Principal>()

beforeAll(async () => {
  t = await createTestDatabase()
  await t.db.query(`
    create table public.notes (id serial primary key, body text);
    create table public.secrets (id serial primary key, body text);
    grant select on public.notes, public.secrets to service_role;
    select realtime.enable('public.notes');
    select realtime.enable('public.secrets');`)
  const jwt = createJwtAuthenticator({ secret: TEST_JWT_SECRET })
  realtime = createRealtime({
    db: t.db,
    // A header names a principal the way an API-key authenticator would resolve one.
    authenticate: async (request) => principals.get(request.headers.get('x-principal') ?? '') ?? jwt(request),
  })
  await realtime.start()
  server = await serve(realtime.handler)
  const service = { kind: 'api-key', role: 'service_role', claims: { role: 'service_role' } } as const
  principals.set('writer', { ...service, scopes: ['write'] })
  principals.set('notes-reader', { ...service, scopes: ['read'], allowedTables: ['public.notes'] })
  principals.set('admin-key', {
    ...service,
    role: 'authenticated',
    claims: { role: 'authenticated' },
    scopes: ['admin'],
  })
  principals.set('limited', { ...service, rateLimit: { limit: 10, remaining: 9, reset: 30 } })
})
afterAll(async () => {
  await server?.close()
  await realtime?.close()
  await t?.drop()
})

describe('scopes and allowed tables', () => {
  it('refuses a subscription without the read scope, or to a table outside the allowed ones', async () => {
    const noRead = await requestHandler(realtime.handler, '/stream?table=notes', {
      headers: { 'x-principal': 'writer' },
    })
    expect(noRead.status).toBe(403)
    expect(await noRead.json()).toMatchObject({ code: 'CORE_SCOPE_DENIED' })
    const other = await requestHandler(realtime.handler, '/stream?table=secrets', {
      headers: { 'x-principal': 'notes-reader' },
    })
    expect(other.status).toBe(403)
    expect(await other.json()).toMatchObject({ code: 'CORE_TABLE_DENIED' })
    const allowed = await openStream(`${server.url}/stream?table=notes`, {
      headers: { 'x-principal': 'notes-reader' },
    })
    expect(allowed.response.status).toBe(200)
    await allowed.close()
  })

  it('refuses a broadcast without the write scope', async () => {
    const response = await requestHandler(realtime.handler, '/broadcast', {
      method: 'POST',
      headers: { 'x-principal': 'notes-reader' },
      json: { topic: 'room', event: 'hi', payload: {} },
    })
    expect(response.status).toBe(403)
    expect(await response.json()).toMatchObject({ code: 'CORE_SCOPE_DENIED' })
  })

  it('lets an admin-scoped key use the admin endpoints, and refuses a plain user', async () => {
    expect(
      (await requestHandler(realtime.handler, '/tables', { headers: { 'x-principal': 'admin-key' } })).status,
    ).toBe(200)
    const user = await signTestToken({ role: 'authenticated', sub: '00000000-0000-4000-8000-000000000001' })
    const refused = await requestHandler(realtime.handler, '/tables', {
      headers: { authorization: `Bearer ${user}` },
    })
    expect(refused.status).toBe(403)
  })
})

describe('headers', () => {
  it('sends RateLimit headers on the stream and CORS for other origins', async () => {
    const stream = await openStream(`${server.url}/stream?table=notes`, {
      headers: { 'x-principal': 'limited', origin: 'https://app.example' },
    })
    expect(stream.response.headers.get('ratelimit-remaining')).toBe('9')
    expect(stream.response.headers.get('access-control-allow-origin')).toBe('*')
    await stream.close()
    const preflight = await requestHandler(realtime.handler, '/stream', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET')
  })
})
