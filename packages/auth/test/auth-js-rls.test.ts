import { createJwtAuthenticator } from '@groundwork/core'
import { createRest, type Rest } from '@groundwork/rest'
import { signTestToken, TEST_JWT_SECRET } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve, type TestServer } from './support/serve'
import { createStack, type Stack } from './support/stack'

// The access tokens auth issues are what the data plane trusts: REST (with auth.authenticate or
// core's JWT authenticator) runs each request as the token's role with its claims, so RLS
// policies written for Supabase (auth.uid()) decide.

let s: Stack
let rest: Rest
let restServer: TestServer
beforeAll(async () => {
  s = await createStack({ mailerAutoconfirm: true })
  await s.t.db.query(`
    create table public.notes (
      id bigint generated always as identity primary key,
      owner uuid not null default auth.uid() references auth.users (id),
      body text not null
    );
    alter table public.notes enable row level security;
    create policy notes_owner on public.notes for all to authenticated
      using (owner = auth.uid()) with check (owner = auth.uid());
    grant select, insert on public.notes to authenticated;
    grant usage on sequence public.notes_id_seq to authenticated;
  `)
  rest = createRest({ db: s.t.db, authenticate: s.auth.authenticate, schemas: ['public'], listen: false })
  restServer = await serve(rest.handler, '/rest/v1')
})
afterAll(async () => {
  await restServer?.close()
  await rest?.close()
  await s?.close()
})

async function signedIn(email: string) {
  const client = s.client()
  const { data, error } = await client.signUp({ email, password: 'password 123' })
  expect(error).toBeNull()
  return { client, token: data.session?.access_token ?? '', id: data.user?.id ?? '' }
}

describe('REST with auth access tokens', () => {
  it('runs as the signed-in user: RLS sees auth.uid()', async () => {
    const alice = await signedIn(`alice-${Date.now()}@example.com`)
    const bob = await signedIn(`bob-${Date.now()}@example.com`)
    const call = (token: string, path: string, init: RequestInit = {}) =>
      fetch(`${restServer.origin}/rest/v1${path}`, {
        ...init,
        headers: {
          apikey: s.anonKey,
          Authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          ...init.headers,
        },
      })

    const inserted = await call(alice.token, '/notes', {
      method: 'POST',
      headers: { Prefer: 'return=representation' },
      body: JSON.stringify({ body: 'from alice' }),
    })
    expect(inserted.status).toBe(201)
    expect(await inserted.json()).toMatchObject([{ owner: alice.id, body: 'from alice' }])
    await call(bob.token, '/notes', { method: 'POST', body: JSON.stringify({ body: 'from bob' }) })

    const aliceSees = await (await call(alice.token, '/notes?select=owner,body')).json()
    expect(aliceSees).toEqual([{ owner: alice.id, body: 'from alice' }])
    const bobSees = await (await call(bob.token, '/notes?select=owner,body')).json()
    expect(bobSees).toEqual([{ owner: bob.id, body: 'from bob' }])

    // The anon key sees nothing (no grant); a forged token is refused.
    expect((await call(s.anonKey, '/notes')).status).toBeGreaterThanOrEqual(400)
    const forged = `${alice.token.slice(0, -4)}AAAA`
    expect((await call(forged, '/notes')).status).toBe(401)
  })

  it('answers refused tokens in PostgREST format: PGRST301 (bad, signed out), PGRST303 (expired)', async () => {
    const dave = await signedIn(`dave-${Date.now()}@example.com`)
    const call = (token: string) =>
      fetch(`${restServer.origin}/rest/v1/notes`, {
        headers: { apikey: s.anonKey, Authorization: `Bearer ${token}` },
      })
    const forged = await call(`${dave.token.slice(0, -4)}AAAA`)
    expect(forged.status).toBe(401)
    expect(forged.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/)
    expect(await forged.json()).toMatchObject({ code: 'PGRST301' })

    const expired = await signTestToken(
      { role: 'authenticated', sub: dave.id, aud: 'authenticated' },
      { expiresIn: Math.floor(Date.now() / 1000) - 60 },
    )
    const stale = await call(expired)
    expect(stale.status).toBe(401)
    expect(await stale.json()).toMatchObject({ code: 'PGRST303' })

    // Signed out: the token verifies but its session is gone (auth.authenticate checks it).
    await dave.client.signOut()
    const signedOut = await call(dave.token)
    expect(signedOut.status).toBe(401)
    expect(await signedOut.json()).toMatchObject({
      code: 'PGRST301',
      message: expect.stringMatching(/session/i),
    })
  })

  it("answers a failure inside authenticate as an opaque 500, never as the request's SQL error", async () => {
    const erin = await signedIn(`erin-${Date.now()}@example.com`)
    const reported: unknown[] = []
    const reporting = createRest({
      db: s.t.db,
      authenticate: s.auth.authenticate,
      listen: false,
      onError: (error) => {
        reported.push(error)
      },
    })
    const server = await serve(reporting.handler, '/rest/v1')
    await s.t.db.query('alter table auth.sessions rename to sessions_moved')
    try {
      const response = await fetch(`${server.origin}/rest/v1/notes`, {
        headers: { apikey: s.anonKey, Authorization: `Bearer ${erin.token}` },
      })
      expect(response.status).toBe(500)
      const body = await response.json()
      expect(body).toMatchObject({ code: 'PGRSTX00', message: 'Internal server error' })
      expect(JSON.stringify(body)).not.toContain('sessions')
      expect(reported).toHaveLength(1)
      expect((reported[0] as { code?: string }).code).toBe('42P01')
    } finally {
      await s.t.db.query('alter table auth.sessions_moved rename to sessions')
      await server.close()
      await reporting.close()
    }
  })

  it('core createJwtAuthenticator + withClaims accept the same token', async () => {
    const carol = await signedIn(`carol-${Date.now()}@example.com`)
    const authenticate = createJwtAuthenticator({ secret: TEST_JWT_SECRET, audience: 'authenticated' })
    const principal = await authenticate(
      new Request('http://x/', { headers: { Authorization: `Bearer ${carol.token}` } }),
    )
    expect(principal).toMatchObject({ kind: 'jwt', role: 'authenticated' })
    const uid = await s.t.db.withClaims(principal.claims, async (tx) => {
      const { rows } = await tx.query<{ uid: string; role: string }>(
        'select auth.uid() as uid, current_user as role',
      )
      return rows[0]
    })
    expect(uid).toEqual({ uid: carol.id, role: 'authenticated' })
  })
})
