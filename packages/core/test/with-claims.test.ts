import { randomUUID } from 'node:crypto'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let t: TestDatabase
const owner = randomUUID()
const stranger = randomUUID()

beforeAll(async () => {
  t = await createTestDatabase()
  await t.db.query(`
    create table public.notes (
      id serial primary key,
      owner_id uuid not null default auth.uid(),
      body text not null
    );
    alter table public.notes enable row level security;
    create policy "owners read their notes" on public.notes for select to authenticated using (owner_id = auth.uid());
    create policy "owners write their notes" on public.notes for insert to authenticated with check (owner_id = auth.uid());
    grant select, insert on public.notes to anon, authenticated, service_role;
    grant usage on sequence public.notes_id_seq to authenticated, service_role;
  `)
  await t.db.query('insert into public.notes (owner_id, body) values ($1, $2)', [owner, 'secret plans'])
})

afterAll(() => t.drop())

describe('withClaims', () => {
  it('lets an RLS policy using auth.uid() show the owner their rows', async () => {
    const rows = await t.db.withClaims({ role: 'authenticated', sub: owner }, (tx) =>
      tx.query('select body from public.notes'),
    )
    expect(rows.rows).toEqual([{ body: 'secret plans' }])
  })

  it('hides the rows from another user', async () => {
    const rows = await t.db.withClaims({ role: 'authenticated', sub: stranger }, (tx) =>
      tx.query('select body from public.notes'),
    )
    expect(rows.rows).toEqual([])
  })

  it('rejects a write that the policy does not allow', async () => {
    await expect(
      t.db.withClaims({ role: 'authenticated', sub: stranger }, (tx) =>
        tx.query('insert into public.notes (owner_id, body) values ($1, $2)', [owner, 'forged']),
      ),
    ).rejects.toMatchObject({ code: '42501' })
    const count = await t.db.query('select count(*)::int as n from public.notes')
    expect(count.rows[0]?.n).toBe(1)
  })

  it('runs anonymous requests as the anon role, which has no policy here', async () => {
    const result = await t.db.withClaims(null, async (tx) => {
      const who = await tx.query(
        "select current_user, auth.role() as role, auth.uid() as uid, current_setting('request.jwt.claims') as claims",
      )
      const notes = await tx.query('select * from public.notes')
      return { who: who.rows[0], notes: notes.rows }
    })
    expect(result.who).toEqual({ current_user: 'anon', role: 'anon', uid: null, claims: '{"role":"anon"}' })
    expect(result.notes).toEqual([])
  })

  it('lets service_role bypass RLS (BYPASSRLS, as in Supabase)', async () => {
    const rows = await t.db.withClaims({ role: 'service_role' }, (tx) =>
      tx.query('select body from public.notes'),
    )
    expect(rows.rows).toEqual([{ body: 'secret plans' }])
  })

  it('exposes claims, method, path and lower-cased headers to SQL, like PostgREST', async () => {
    const claims = {
      role: 'authenticated',
      sub: owner,
      email: 'a@example.com',
      app_metadata: { plan: 'pro' },
    }
    const row = await t.db.withClaims(
      claims,
      async (tx) =>
        (
          await tx.query(`select auth.jwt() as jwt, auth.uid() as uid, auth.role() as role, auth.email() as email,
            current_setting('request.jwt.claim.sub') as legacy_sub, current_setting('request.jwt.claim.role') as legacy_role,
            current_setting('request.method') as method, current_setting('request.path') as path,
            current_setting('request.headers')::jsonb as headers`)
        ).rows[0],
      {
        method: 'GET',
        path: '/notes',
        headers: new Headers({ 'X-Client-Info': 'supabase-js/2', Accept: 'application/json' }),
      },
    )
    expect(row).toEqual({
      jwt: claims,
      uid: owner,
      role: 'authenticated',
      email: 'a@example.com',
      legacy_sub: owner,
      legacy_role: 'authenticated',
      method: 'GET',
      path: '/notes',
      headers: { 'x-client-info': 'supabase-js/2', accept: 'application/json' },
    })
  })

  it('keeps settings local to the transaction, so a pooled connection does not leak a role', async () => {
    await t.db.withClaims({ role: 'authenticated', sub: owner }, (tx) => tx.query('select 1'))
    const after = await t.db.query(
      "select current_user = session_user as same, coalesce(current_setting('request.jwt.claims', true), '') as claims",
    )
    expect(after.rows[0]).toEqual({ same: true, claims: '' })
  })

  it('opens GET-style transactions read only', async () => {
    await expect(
      t.db.withClaims(
        { role: 'service_role' },
        (tx) => tx.query("insert into public.notes (owner_id, body) values (gen_random_uuid(), 'x')"),
        {
          readOnly: true,
        },
      ),
    ).rejects.toMatchObject({ code: '25006' })
  })

  it('rolls back everything when the callback throws', async () => {
    await expect(
      t.db.withClaims({ role: 'service_role' }, async (tx) => {
        await tx.query("insert into public.notes (owner_id, body) values (gen_random_uuid(), 'lost')")
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    const count = await t.db.query("select count(*)::int as n from public.notes where body = 'lost'")
    expect(count.rows[0]?.n).toBe(0)
  })

  it('runs inside a caller transaction and restores the caller role afterwards', async () => {
    await t.db
      .transaction(async (outer) => {
        await outer.query(
          "insert into public.notes (owner_id, body) values ($1, 'from the outer transaction')",
          [stranger],
        )
        const seen = await t.db.withClaims(
          { role: 'authenticated', sub: stranger },
          (tx) => tx.query('select body from public.notes'),
          {
            transaction: outer,
          },
        )
        expect(seen.rows).toEqual([{ body: 'from the outer transaction' }])
        const back = await outer.query('select current_user = session_user as same')
        expect(back.rows[0]?.same).toBe(true)
        // A failing inner call rolls back to its savepoint and leaves the outer transaction usable.
        await expect(
          t.db.withClaims(
            { role: 'authenticated', sub: stranger },
            (tx) => tx.query('select * from no_such_table'),
            { transaction: outer },
          ),
        ).rejects.toMatchObject({ code: '42P01' })
        const still = await outer.query('select count(*)::int as n from public.notes')
        expect(still.rows[0]?.n).toBe(2)
        throw Object.assign(new Error('rollback the outer transaction'), { expected: true })
      })
      .catch((error) => {
        if (!error.expected) throw error
      })
    const count = await t.db.query('select count(*)::int as n from public.notes')
    expect(count.rows[0]?.n).toBe(1)
  })

  it('exposes a Kysely instance bound to the transaction', async () => {
    const rows = await t.db.withClaims({ role: 'authenticated', sub: owner }, (tx) =>
      tx.kysely.selectFrom('notes').select(['body']).execute(),
    )
    expect(rows).toEqual([{ body: 'secret plans' }])
  })
})

describe('withClaims guards', () => {
  it('refuses a role outside the API roles, whatever a token says (postgres, none, a non-string)', async () => {
    for (const role of ['postgres', 'none', 'pg_read_server_files', 42, ['service_role']]) {
      await expect(
        t.db.withClaims({ role } as never, (tx) => tx.query('select current_user')),
      ).rejects.toMatchObject({ code: 'CORE_ROLE_NOT_ALLOWED', status: 401 })
    }
    // The pipelined paths use the same check.
    expect(() => t.db.claimParameters({ role: 'postgres' })).toThrow(/not allowed/)
  })

  it('runs as a role added with allowedRoles', async () => {
    await t.db.query(
      'do $$ begin create role gw_test_reporter nologin; exception when duplicate_object then null; end $$',
    )
    await t.db.query('grant gw_test_reporter to current_user')
    const { createDatabase } = await import('../src/index')
    const db = createDatabase({ connectionString: t.url, allowedRoles: ['gw_test_reporter'] })
    try {
      const { rows } = await db.withClaims({ role: 'gw_test_reporter' }, (tx) =>
        tx.query('select current_user as who'),
      )
      expect(rows).toEqual([{ who: 'gw_test_reporter' }])
    } finally {
      await db.close()
    }
  })

  it('sets each role its statement_timeout (anon 3s, authenticated 8s, service_role unchanged)', async () => {
    const timeoutAs = (role: string) =>
      t.db.withClaims(
        { role },
        async (tx) => (await tx.query("select current_setting('statement_timeout') as t")).rows[0]?.t,
      )
    expect(await timeoutAs('anon')).toBe('3s')
    expect(await timeoutAs('authenticated')).toBe('8s')
    expect(await timeoutAs('service_role')).toBe('0')
    // Given timeouts merge over the defaults.
    const { createDatabase } = await import('../src/index')
    const db = createDatabase({ connectionString: t.url, statementTimeouts: { service_role: 60_000 } })
    try {
      const as = (role: string) =>
        db.withClaims(
          { role },
          async (tx) => (await tx.query("select current_setting('statement_timeout') as t")).rows[0]?.t,
        )
      expect([await as('anon'), await as('service_role')]).toEqual(['3s', '1min'])
    } finally {
      await db.close()
    }
    await expect(
      t.db.withClaims({ role: 'anon' }, (tx) => tx.query('select pg_sleep(4)')),
    ).rejects.toMatchObject({
      code: '57014',
    })
  })

  it('cancels the running statement when the signal aborts, and discards the connection', async () => {
    const controller = new AbortController()
    const started = Date.now()
    const running = t.db.withClaims({ role: 'service_role' }, (tx) => tx.query('select pg_sleep(30)'), {
      signal: controller.signal,
    })
    setTimeout(() => controller.abort(), 200)
    await expect(running).rejects.toMatchObject({ code: '57014' })
    expect(Date.now() - started).toBeLessThan(5000)
    const { rows } = await t.db.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and query like '%pg_sleep(30)%' and state = 'active' and pid <> pg_backend_pid()",
    )
    expect(rows[0]?.n).toBe(0)
  })
})

describe('withClaims round trips', () => {
  it('runs nothing when the pipelined claims statement fails, and keeps connections usable', async () => {
    const { createDatabase } = await import('../src/index')
    const db = createDatabase({ connectionString: t.url, allowedRoles: ['gw_no_such_role'], max: 2 })
    try {
      let ran = 0
      for (let i = 0; i < 6; i++) {
        await expect(
          db.withClaims({ role: 'gw_no_such_role' }, async (tx) => {
            ran++
            return tx.query('select 1')
          }),
        ).rejects.toMatchObject({ code: '22023' })
      }
      expect(ran).toBe(0)
      const ok = await db.withClaims({ role: 'anon' }, (tx) =>
        tx.query("select current_setting('role') as role"),
      )
      expect(ok.rows).toEqual([{ role: 'anon' }])
    } finally {
      await db.close()
    }
  })
})

describe('cancelling aborted requests', () => {
  it('never deadlocks the pool when every connection belongs to an aborted request', async () => {
    const { createDatabase } = await import('../src/index')
    // A cancel that needed a pooled connection waited for one of these very connections.
    const db = createDatabase({ connectionString: t.url, max: 2 })
    try {
      const controllers = Array.from({ length: 4 }, () => new AbortController())
      const running = controllers.map((controller) =>
        db
          .withClaims({ role: 'service_role' }, (tx) => tx.query('select pg_sleep(30)'), {
            signal: controller.signal,
          })
          .catch((error: { code?: string }) => error.code),
      )
      await new Promise((resolve) => setTimeout(resolve, 300))
      const started = Date.now()
      for (const controller of controllers) controller.abort()
      expect(await Promise.all(running)).toEqual(['57014', '57014', expect.anything(), expect.anything()])
      expect(Date.now() - started).toBeLessThan(5000)
      const { rows } = await db.query('select 1 as ok')
      expect(rows).toEqual([{ ok: 1 }])
    } finally {
      await db.close()
    }
  })
})
