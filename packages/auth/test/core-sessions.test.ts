import { createHmac } from 'node:crypto'
import { createJwtAuthenticator } from '@groundwork/core'
import { signTestToken, TEST_JWT_SECRET } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CoreStack, createCoreStack } from './core-support'

let stack: CoreStack

beforeAll(async () => {
  // Reuse interval 0: only the immediately previous token gets the concurrent-tab grace, so the
  // "older token" case is deterministic.
  stack = await createCoreStack({
    refreshTokenReuseInterval: 0,
    verifySessions: true,
    sessionInactivityTimeout: 3600,
  })
})
afterAll(async () => {
  await stack.close()
})

async function signedIn(email: string, password = 'correct horse') {
  const client = stack.client()
  const { error } = await client.signUp({ email, password })
  expect(error).toBeNull()
  return client
}

function refresh(token: string) {
  return stack.request('POST', '/token?grant_type=refresh_token', {
    body: { refresh_token: token },
    headers: { 'X-Supabase-Api-Version': '2024-01-01' },
  })
}

describe('sign-up and sign-in with auth-js', () => {
  it('signs up with autoconfirm and gets a session with GoTrue claims', async () => {
    const client = stack.client()
    const { data, error } = await client.signUp({
      email: 'Alice@Example.com',
      password: 'correct horse',
      options: { data: { name: 'Alice' } },
    })
    expect(error).toBeNull()
    expect(data.session?.access_token).toBeTruthy()
    expect(data.session?.token_type).toBe('bearer')
    expect(data.session?.expires_in).toBe(3600)
    expect(data.user?.email).toBe('alice@example.com')
    expect(data.user?.user_metadata).toMatchObject({
      name: 'Alice',
      email: 'alice@example.com',
      email_verified: true,
    })
    expect(data.user?.identities?.[0]).toMatchObject({ provider: 'email', user_id: data.user?.id })
    expect(data.user?.app_metadata).toEqual({ provider: 'email', providers: ['email'] })
    const { data: claims } = await client.getClaims()
    expect(claims?.claims).toMatchObject({
      sub: data.user?.id,
      role: 'authenticated',
      aud: 'authenticated',
      aal: 'aal1',
      is_anonymous: false,
      email: 'alice@example.com',
      phone: '',
      session_id: expect.any(String),
      user_metadata: { name: 'Alice' },
      app_metadata: { provider: 'email' },
    })
    expect(claims?.claims.amr).toEqual([{ method: 'password', timestamp: expect.any(Number) }])
  })

  it('signs in with the password; a wrong password and an unknown account get the same invalid_credentials', async () => {
    const client = stack.client()
    const { data, error } = await client.signInWithPassword({
      email: 'alice@example.com',
      password: 'correct horse',
    })
    expect(error).toBeNull()
    expect(data.session?.refresh_token).toBeTruthy()
    expect(data.user?.last_sign_in_at).toBeTruthy()
    const wrong = await client.signInWithPassword({ email: 'alice@example.com', password: 'nope nope' })
    const unknown = await client.signInWithPassword({ email: 'nobody@example.com', password: 'nope nope' })
    for (const result of [wrong, unknown]) {
      expect(result.error?.code).toBe('invalid_credentials')
      expect(result.error?.status).toBe(400)
      expect(result.error?.message).toBe('Invalid login credentials')
    }
  })

  it('refuses a second sign-up of a confirmed address with user_already_exists (autoconfirm)', async () => {
    const { error } = await stack.client().signUp({ email: 'alice@example.com', password: 'another one' })
    expect(error?.code).toBe('user_already_exists')
    expect(error?.status).toBe(422)
  })

  it('signs in anonymously', async () => {
    const client = stack.client()
    const { data, error } = await client.signInAnonymously({ options: { data: { theme: 'dark' } } })
    expect(error).toBeNull()
    expect(data.user?.is_anonymous).toBe(true)
    expect(data.user?.email).toBe('')
    const { data: claims } = await client.getClaims()
    expect(claims?.claims).toMatchObject({ is_anonymous: true, role: 'authenticated' })
    expect(claims?.claims.amr).toEqual([{ method: 'anonymous', timestamp: expect.any(Number) }])
  })
})

describe('refresh tokens', () => {
  it('rotates on every refreshSession and keeps the session id', async () => {
    const client = await signedIn('rotate@example.com')
    const first = (await client.getSession()).data.session
    const { data, error } = await client.refreshSession()
    expect(error).toBeNull()
    expect(data.session?.refresh_token).not.toBe(first?.refresh_token)
    const before = JSON.parse(Buffer.from(first?.access_token.split('.')[1] ?? '', 'base64url').toString())
    const after = JSON.parse(
      Buffer.from(data.session?.access_token.split('.')[1] ?? '', 'base64url').toString(),
    )
    expect(after.session_id).toBe(before.session_id)
    const { rows } = await stack.t.db.query<{ revoked: boolean }>(
      'select revoked from auth.refresh_tokens where session_id = $1 order by id',
      [before.session_id],
    )
    expect(rows.map((row) => row.revoked)).toEqual([true, false])
    const audit = await stack.t.db.query<{ n: number }>(
      "select count(*)::int as n from auth.audit_log_entries where payload->>'action' = 'token_refreshed' and payload->>'actor_id' = $1",
      [before.sub],
    )
    expect(audit.rows[0]?.n).toBe(1)
    const sessionRow = await stack.t.db.query<{ refresh_token_counter: string; refreshed_at: Date | null }>(
      'select refresh_token_counter, refreshed_at from auth.sessions where id = $1',
      [before.session_id],
    )
    expect(sessionRow.rows[0]?.refresh_token_counter).toBe('1')
  })

  it('answers the immediately previous token with the current one (a tab that missed the answer)', async () => {
    const client = await signedIn('tabs@example.com')
    const t0 = (await client.getSession()).data.session?.refresh_token as string
    const r1 = await refresh(t0)
    const t1 = (await r1.json()).refresh_token
    const again = await refresh(t0)
    expect(again.status).toBe(200)
    expect((await again.json()).refresh_token).toBe(t1)
    // The current token still rotates normally afterwards.
    const r2 = await refresh(t1)
    expect(r2.status).toBe(200)
    expect((await r2.json()).refresh_token).not.toBe(t1)
  })

  it('serialises concurrent refreshes of one token: every caller gets the same new token', async () => {
    const client = await signedIn('concurrent@example.com')
    const t0 = (await client.getSession()).data.session?.refresh_token as string
    const responses = await Promise.all(Array.from({ length: 6 }, () => refresh(t0)))
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 200])
    const tokens = new Set(
      await Promise.all(responses.map(async (response) => (await response.json()).refresh_token)),
    )
    expect(tokens.size).toBe(1)
    expect(tokens.has(t0)).toBe(false)
  })

  it('revokes the whole family on reuse of an older token: refresh_token_already_used, and the session ends', async () => {
    const client = await signedIn('stolen@example.com')
    const session = (await client.getSession()).data.session
    const t0 = session?.refresh_token as string
    const t1 = (await (await refresh(t0)).json()).refresh_token
    const r2 = await (await refresh(t1)).json()
    const reuse = await refresh(t0)
    expect(reuse.status).toBe(400)
    expect(reuse.headers.get('x-sb-error-code')).toBe('refresh_token_already_used')
    expect(await reuse.json()).toEqual({
      code: 'refresh_token_already_used',
      message: 'Invalid Refresh Token: Already Used',
    })
    // The legitimate holder's current token is dead too, and so is the access token's session.
    const current = await refresh(r2.refresh_token)
    expect(current.status).toBe(400)
    expect(['refresh_token_already_used', 'session_expired']).toContain((await current.json()).code)
    await expect(
      stack.auth.authenticate(
        new Request('http://x/', { headers: { authorization: `Bearer ${r2.access_token}` } }),
      ),
    ).rejects.toMatchObject({ status: 401 })
    const { rows } = await stack.t.db.query<{ active: number }>(
      'select count(*)::int as active from auth.refresh_tokens where user_id = $1 and revoked = false',
      [session?.user.id],
    )
    expect(rows[0]?.active).toBe(0)
  })

  it('ends a session idle for longer than sessionInactivityTimeout', async () => {
    const client = await signedIn('idle@example.com')
    const session = (await client.getSession()).data.session
    await stack.t.db.query(
      "update auth.sessions set refreshed_at = now() - interval '2 hours' where user_id = $1",
      [session?.user.id],
    )
    const response = await refresh(session?.refresh_token as string)
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      code: 'session_expired',
      message: 'Invalid Refresh Token: Session Expired (Inactivity)',
    })
  })

  it('answers an unknown refresh token with refresh_token_not_found, and a missing one OAuth-style', async () => {
    const unknown = await refresh('not-a-token')
    expect(unknown.status).toBe(400)
    expect((await unknown.json()).code).toBe('refresh_token_not_found')
    const missing = await stack.request('POST', '/token?grant_type=refresh_token', { body: {} })
    expect(missing.status).toBe(400)
    expect(await missing.json()).toEqual({
      error: 'invalid_request',
      error_description: 'refresh_token required',
    })
  })
})

describe('user', () => {
  it('gets and updates the user: metadata merge, null removes a key', async () => {
    const client = await signedIn('meta@example.com')
    await client.updateUser({ data: { a: 1, b: 2 } })
    const { data, error } = await client.updateUser({ data: { b: null, c: 'x' } })
    expect(error).toBeNull()
    expect(data.user?.user_metadata).toMatchObject({ a: 1, c: 'x' })
    expect(data.user?.user_metadata).not.toHaveProperty('b')
    const fetched = await client.getUser()
    expect(fetched.data.user?.user_metadata).toMatchObject({ a: 1, c: 'x' })
  })

  it('changes the password with the policy enforced; other sessions end, this one stays', async () => {
    const client = await signedIn('pw@example.com', 'first password')
    const other = stack.client()
    await other.signInWithPassword({ email: 'pw@example.com', password: 'first password' })
    const weak = await client.updateUser({ password: '123' })
    expect(weak.error?.code).toBe('weak_password')
    expect((weak.error as { reasons?: string[] }).reasons).toEqual(['length'])
    const same = await client.updateUser({ password: 'first password' })
    expect(same.error?.code).toBe('same_password')
    const { error } = await client.updateUser({ password: 'second password' })
    expect(error).toBeNull()
    expect((await client.getUser()).error).toBeNull()
    // auth-js turns GoTrue's 403 session_not_found into AuthSessionMissingError.
    expect((await other.getUser()).error?.name).toBe('AuthSessionMissingError')
    const old = await stack
      .client()
      .signInWithPassword({ email: 'pw@example.com', password: 'first password' })
    expect(old.error?.code).toBe('invalid_credentials')
    const fresh = await stack
      .client()
      .signInWithPassword({ email: 'pw@example.com', password: 'second password' })
    expect(fresh.error).toBeNull()
  })

  it('rejects requests without a token (401 no_authorization) and with a forged one (403 bad_jwt)', async () => {
    const none = await stack.request('GET', '/user', { headers: { 'X-Supabase-Api-Version': '2024-01-01' } })
    expect(none.status).toBe(401)
    expect((await none.json()).code).toBe('no_authorization')
    const forged = await stack.request('GET', '/user', {
      headers: {
        authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl',
        'X-Supabase-Api-Version': '2024-01-01',
      },
    })
    expect(forged.status).toBe(403)
    expect((await forged.json()).code).toBe('bad_jwt')
  })

  it('rejects correctly signed tokens that are expired or of another algorithm (alg none, HS512)', async () => {
    const client = await signedIn('claims-check@example.com')
    const { data } = await client.getSession()
    const valid = data.session?.access_token as string
    const claims = JSON.parse(Buffer.from(valid.split('.')[1] as string, 'base64url').toString('utf8'))
    const sign = (header: object, payload: object, digest = 'sha256') => {
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
      const unsigned = `${encode(header)}.${encode(payload)}`
      return `${unsigned}.${createHmac(digest, TEST_JWT_SECRET).update(unsigned).digest('base64url')}`
    }
    const getUser = (token: string) =>
      stack.request('GET', '/user', {
        headers: { authorization: `Bearer ${token}`, 'X-Supabase-Api-Version': '2024-01-01' },
      })

    const resigned = await getUser(sign({ alg: 'HS256', typ: 'JWT' }, claims))
    expect(resigned.status).toBe(200)
    const cases = [
      [sign({ alg: 'HS256' }, { ...claims, exp: Math.floor(Date.now() / 1000) - 10 }), 'token is expired'],
      [sign({ alg: 'HS512' }, claims, 'sha512'), 'unable to parse or verify signature'],
      [
        `${sign({ alg: 'none' }, claims).split('.').slice(0, 2).join('.')}.`,
        'unable to parse or verify signature',
      ],
    ] as const
    for (const [token, reason] of cases) {
      const response = await getUser(token)
      expect(response.status).toBe(403)
      expect(await response.json()).toMatchObject({ code: 'bad_jwt', message: `invalid JWT: ${reason}` })
    }
  })
})

describe('sign-out scopes', () => {
  async function threeSessions(email: string) {
    const a = await signedIn(email)
    const b = stack.client()
    const c = stack.client()
    await b.signInWithPassword({ email, password: 'correct horse' })
    await c.signInWithPassword({ email, password: 'correct horse' })
    return [a, b, c] as const
  }
  const alive = async (client: ReturnType<CoreStack['client']>) => {
    const token = (await client.getSession()).data.session?.access_token
    const response = await stack.request('GET', '/user', { headers: { authorization: `Bearer ${token}` } })
    return response.status === 200
  }

  it('local ends only this session', async () => {
    const [a, b, c] = await threeSessions('local@example.com')
    const bToken = (await b.getSession()).data.session?.access_token as string
    expect((await b.signOut({ scope: 'local' })).error).toBeNull()
    expect((await b.getSession()).data.session).toBeNull()
    const response = await stack.request('GET', '/user', { headers: { authorization: `Bearer ${bToken}` } })
    expect(response.status).toBe(403)
    expect([await alive(a), await alive(c)]).toEqual([true, true])
  })

  it('others ends every other session', async () => {
    const [a, b, c] = await threeSessions('others@example.com')
    expect((await a.signOut({ scope: 'others' })).error).toBeNull()
    expect([await alive(a), await alive(b), await alive(c)]).toEqual([true, false, false])
  })

  it('global ends all of them', async () => {
    const [a, b, c] = await threeSessions('global@example.com')
    const aToken = (await a.getSession()).data.session?.access_token as string
    expect((await a.signOut()).error).toBeNull()
    const response = await stack.request('GET', '/user', { headers: { authorization: `Bearer ${aToken}` } })
    expect(response.status).toBe(403)
    expect([await alive(b), await alive(c)]).toEqual([false, false])
  })

  it('refuses an unknown scope', async () => {
    const [a] = await threeSessions('scope@example.com')
    const token = (await a.getSession()).data.session?.access_token
    const response = await stack.request('POST', '/logout?scope=everything', {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(response.status).toBe(400)
  })
})

describe('access tokens for the rest of the stack', () => {
  it("verify with core's createJwtAuthenticator, and RLS sees auth.uid()", async () => {
    const client = await signedIn('rls@example.com')
    const session = (await client.getSession()).data.session
    const authenticate = createJwtAuthenticator({ secret: TEST_JWT_SECRET, audience: 'authenticated' })
    const principal = await authenticate(
      new Request('http://rest.test/', { headers: { authorization: `Bearer ${session?.access_token}` } }),
    )
    expect(principal.role).toBe('authenticated')
    await stack.t.db.query(`create table public.notes (id serial primary key, owner uuid not null default auth.uid(), body text);
      alter table public.notes enable row level security;
      create policy own on public.notes using (owner = auth.uid()) with check (owner = auth.uid());
      grant select, insert on public.notes to authenticated; grant usage on sequence public.notes_id_seq to authenticated;`)
    await stack.t.db.query(
      "insert into public.notes (owner, body) values (gen_random_uuid(), 'someone else')",
    )
    const seen = await stack.t.db.withClaims(principal.claims, async (tx) => {
      await tx.query("insert into public.notes (body) values ('mine')")
      const uid = await tx.query<{ uid: string }>('select auth.uid()::text as uid')
      const rows = await tx.query<{ body: string }>('select body from public.notes')
      return { uid: uid.rows[0]?.uid, bodies: rows.rows.map((row) => row.body) }
    })
    expect(seen).toEqual({ uid: session?.user.id, bodies: ['mine'] })
    // auth.authenticate gives the same principal, and checks the session (verifySessions).
    const own = await stack.auth.authenticate(
      new Request('http://rest.test/', { headers: { authorization: `Bearer ${session?.access_token}` } }),
    )
    expect(own).toMatchObject({ kind: 'jwt', role: 'authenticated', claims: { sub: session?.user.id } })
    await client.signOut()
    await expect(
      stack.auth.authenticate(
        new Request('http://rest.test/', { headers: { authorization: `Bearer ${session?.access_token}` } }),
      ),
    ).rejects.toMatchObject({ status: 401 })
  })

  it('rejects a banned user in authenticate and in the password grant', async () => {
    const client = await signedIn('banned@example.com')
    const session = (await client.getSession()).data.session
    await stack.t.db.query("update auth.users set banned_until = now() + interval '1 day' where id = $1", [
      session?.user.id,
    ])
    await expect(
      stack.auth.authenticate(
        new Request('http://rest.test/', { headers: { authorization: `Bearer ${session?.access_token}` } }),
      ),
    ).rejects.toMatchObject({ status: 401 })
    const again = await stack
      .client()
      .signInWithPassword({ email: 'banned@example.com', password: 'correct horse' })
    expect(again.error?.code).toBe('user_banned')
    const refreshed = await refresh(session?.refresh_token as string)
    expect((await refreshed.json()).code).toBe('user_banned')
  })

  it('refuses a non-UUID sub as bad_jwt, and never reports a database failure as a missing session', async () => {
    const bearer = (token: string) =>
      new Request('http://rest.test/', { headers: { authorization: `Bearer ${token}` } })
    const odd = await signTestToken({ role: 'authenticated', sub: 'not-a-uuid' })
    await expect(stack.auth.authenticate(bearer(odd))).rejects.toMatchObject({
      status: 401,
      code: 'AUTH_BAD_JWT',
      message: 'invalid claim: sub claim must be a UUID',
    })

    const client = await signedIn('dbfail@example.com')
    const token = (await client.getSession()).data.session?.access_token as string
    await stack.t.db.query('alter table auth.sessions rename to sessions_moved')
    try {
      const error = await stack.auth.authenticate(bearer(token)).then(
        () => null,
        (thrown: { code?: string; status?: number }) => thrown,
      )
      expect(error?.code).toBe('42P01')
      expect(error?.status).toBeUndefined()
    } finally {
      await stack.t.db.query('alter table auth.sessions_moved rename to sessions')
    }
    await expect(stack.auth.authenticate(bearer(token))).resolves.toMatchObject({ kind: 'jwt' })
  })

  it('answers anonymous callers with the anon role', async () => {
    const principal = await stack.auth.authenticate(new Request('http://rest.test/'))
    expect(principal).toEqual({ kind: 'anonymous', role: 'anon', claims: { role: 'anon' } })
  })
})
