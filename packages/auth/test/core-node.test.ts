import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { toNodeHandler } from '@groundwork/core/node'
import { createTestDatabase, signTestToken, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import { GoTrueClient } from '@supabase/auth-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Auth, createAuth } from '../src/index'
import { memoryStorage, TEST_SCRYPT } from './core-support'

let t: TestDatabase
let auth: Auth
let server: Server
let url: string
let anonKey: string

beforeAll(async () => {
  t = await createTestDatabase()
  // Mounted as a host does it: core's node adapter strips /auth/v1, so auth routes on relative paths.
  auth = createAuth({
    db: t.db,
    jwt: { secret: TEST_JWT_SECRET },
    scrypt: TEST_SCRYPT,
    mailerAutoconfirm: true,
    rateLimits: { signInPerEmail: false, signIn: { max: 2, windowSeconds: 60 } },
  })
  server = createServer(toNodeHandler(auth.handler, { basePath: '/auth/v1', trustProxy: true }))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/v1`
  anonKey = await signTestToken({ role: 'anon' })
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await t.drop()
})

function client() {
  return new GoTrueClient({
    url,
    headers: { apikey: anonKey },
    storage: memoryStorage(),
    autoRefreshToken: false,
  })
}

describe('over HTTP through @groundwork/core/node', () => {
  it('serves auth-js end to end: sign-up, refresh, user, sign-out', async () => {
    const c = client()
    const { data, error } = await c.signUp({ email: 'node@example.com', password: 'correct horse' })
    expect(error).toBeNull()
    const first = data.session?.refresh_token
    const refreshed = await c.refreshSession()
    expect(refreshed.error).toBeNull()
    expect(refreshed.data.session?.refresh_token).not.toBe(first)
    expect((await c.getUser()).data.user?.email).toBe('node@example.com')
    expect((await c.signOut()).error).toBeNull()
    const { rows } = await t.db.query<{ n: number }>('select count(*)::int as n from auth.sessions')
    expect(rows[0]?.n).toBe(0)
  })

  it('keys per-IP limits on the proxy-supplied client address', async () => {
    const attempt = (ip: string) =>
      fetch(`${url}/token?grant_type=password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `${ip}, 10.0.0.1` },
        body: JSON.stringify({ email: 'node@example.com', password: 'wrong password' }),
      })
    const statuses = [(await attempt('198.51.100.7')).status, (await attempt('198.51.100.7')).status]
    const limited = await attempt('198.51.100.7')
    expect([...statuses, limited.status]).toEqual([400, 400, 429])
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/)
    // Another client is not affected.
    expect((await attempt('203.0.113.9')).status).toBe(400)
  })
})
