/**
 * Per-request settings PostgREST applies after the role and claims: the `search_path` (the
 * request's schema, then `db-extra-search-path`) and the `db-pre-request` function — on every
 * path a request can take here: the pipelined read, the pipelined write/RPC, the `withClaims`
 * transaction (`Prefer: timezone`) and `api.query` inside a caller's transaction.
 *
 * @see https://docs.postgrest.org/en/v12/references/transactions.html#pre-request
 * @see https://docs.postgrest.org/en/v12/references/configuration.html#db-extra-search-path
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RestHarness, startRest, USERS } from './support/server'

const SETUP_SQL = `
  create schema extensions;
  create function extensions.twice(n int) returns int language sql immutable as $$ select n * 2 $$;
  grant usage on schema extensions to anon, authenticated, service_role;

  create table public.probe (id int primary key, label text);
  insert into public.probe values (1, 'one');
  grant select, insert on public.probe to anon, authenticated;

  -- Unqualified names in plpgsql resolve on the request's search_path at run time.
  create function public.search_path_seen(public.probe) returns text language sql stable
    as $$ select current_setting('search_path') $$;
  create function public.current_search_path() returns text language sql stable
    as $$ select current_setting('search_path') $$;
  create function public.accepted() returns text language plpgsql volatile
    as $$ begin perform set_config('response.status', '202', true); return 'queued'; end $$;
  create function public.current_timezone() returns text language sql stable
    as $$ select current_setting('timezone') $$;
  create function public.doubled(n int) returns int language plpgsql stable
    as $$ begin return twice(n); end $$;
  create function private.unqualified_count() returns bigint language plpgsql stable
    as $$ begin return (select count(*) from notes); end $$;
  grant execute on function private.unqualified_count() to authenticated;

  -- Two types named kind: writes and calls on private must still use public.kind where declared.
  create type public.kind as enum ('small', 'large');
  create type private.kind as enum ('other');
  create table private.kinds (id int generated always as identity primary key, k public.kind not null);
  grant usage on type public.kind, private.kind to authenticated;
  grant select, insert on private.kinds to authenticated;
  create function private.kind_label(k public.kind) returns text language sql immutable
    as $$ select 'kind:' || k::text $$;
  grant execute on function private.kind_label(public.kind) to authenticated;

  create function public.check_request() returns void language plpgsql as $$
  begin
    if current_setting('request.headers', true)::json ->> 'x-blocked' = 'yes' then
      raise sqlstate 'PT403' using message = 'blocked by the pre-request function',
        hint = 'role ' || current_user;
    end if;
    perform set_config('response.headers',
      json_build_array(json_build_object('X-Pre-Request', current_user || ' ' || coalesce(auth.uid()::text, '-')))::text,
      true);
  end $$;
`

let h: RestHarness
beforeAll(async () => {
  h = await startRest({
    schemas: ['public', 'private'],
    extraSearchPath: ['public', 'extensions'],
    preRequest: 'public.check_request',
  })
  await h.test.db.query(SETUP_SQL)
  await h.rest.api.reloadSchema()
})
afterAll(async () => {
  await h?.close()
})

describe('search_path per request (db-extra-search-path)', () => {
  it('is the request schema, then the extra schemas, on the pipelined read', async () => {
    const { data, error } = await h.anon.from('probe').select('id, search_path_seen')
    expect(error).toBeNull()
    expect(data).toEqual([{ id: 1, search_path_seen: '"public", "extensions"' }])
  })

  it('puts the profile schema first for RPC (pipelined call)', async () => {
    const { data, error } = await h.alice.schema('private').rpc('unqualified_count')
    expect(error).toBeNull()
    expect(typeof data).toBe('number')
    const path = await h.alice.schema('private').rpc('current_search_path')
    // Not exposed in private: the function lives in public.
    expect(path.error?.code).toBe('PGRST202')
  })

  it('resolves unqualified calls into an extra schema (GET and POST RPC)', async () => {
    const get = await h.anon.rpc('doubled', { n: 21 }, { get: true })
    expect(get.error).toBeNull()
    expect(get.data).toBe(42)
    const post = await h.anon.rpc('doubled', { n: 5 })
    expect(post.data).toBe(10)
  })

  it('holds on the withClaims path (Prefer: timezone) too', async () => {
    const response = await h.request('/rpc/current_search_path', {
      headers: { prefer: 'timezone=UTC' },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('preference-applied')).toContain('timezone=UTC')
    expect(await response.json()).toBe('"public", "extensions"')
  })

  it("restores the caller's search_path after api.query inside its transaction", async () => {
    await h.test.db.transaction(async (tx) => {
      await tx.query("select set_config('search_path', 'private', true)")
      const result = await h.rest.api.query(
        { method: 'GET', path: '/rpc/current_search_path' },
        { transaction: tx, principal: { kind: 'jwt', role: 'anon', claims: { role: 'anon' } } },
      )
      expect(result.data).toBe('"public", "extensions"')
      const after = await tx.query<{ path: string }>("select current_setting('search_path') as path")
      expect(after.rows[0]?.path).toBe('private')
    })
  })

  it("keeps one api.query call's response.status from reaching the next in the same transaction", async () => {
    const principal = { kind: 'jwt' as const, role: 'anon', claims: { role: 'anon' } }
    await h.test.db.transaction(async (tx) => {
      const first = await h.rest.api.query(
        { method: 'POST', path: '/rpc/accepted', body: {} },
        { transaction: tx, principal },
      )
      expect(first.status).toBe(202)
      const second = await h.rest.api.query(
        { method: 'GET', path: '/probe', query: 'select=id' },
        { transaction: tx, principal },
      )
      expect(second.status).toBe(200)
      const { rows } = await tx.query<{ status: string | null }>(
        "select nullif(current_setting('response.status', true), '') as status",
      )
      expect(rows[0]?.status).toBeNull()
    })
  })

  it("restores the caller's timezone after api.query with Prefer: timezone", async () => {
    await h.test.db.transaction(async (tx) => {
      await tx.query("select set_config('timezone', 'Asia/Tokyo', true)")
      const result = await h.rest.api.query(
        {
          method: 'GET',
          path: '/rpc/current_timezone',
          headers: { prefer: 'timezone=America/Sao_Paulo' },
        },
        { transaction: tx, principal: { kind: 'jwt', role: 'anon', claims: { role: 'anon' } } },
      )
      expect(result.data).toBe('America/Sao_Paulo')
      const after = await tx.query<{ tz: string }>("select current_setting('timezone') as tz")
      expect(after.rows[0]?.tz).toBe('Asia/Tokyo')
    })
  })
})

describe('type names under the per-request search_path', () => {
  it("writes a column of another schema's type when the request schema has a type of that name", async () => {
    const { data, error, status } = await h.alice
      .schema('private')
      .from('kinds')
      .insert({ k: 'large' })
      .select('k')
    expect(error).toBeNull()
    expect(status).toBe(201)
    expect(data).toEqual([{ k: 'large' }])
  })

  it('calls a function whose argument type lives in another schema', async () => {
    const { data, error } = await h.alice.schema('private').rpc('kind_label', { k: 'small' })
    expect(error).toBeNull()
    expect(data).toBe('kind:small')
  })
})

describe('pre-request function (db-pre-request)', () => {
  it('runs under the caller role and claims before a read and can set response headers', async () => {
    const anon = await h.request('/probe?select=id')
    expect(anon.status).toBe(200)
    expect(anon.headers.get('x-pre-request')).toBe('anon -')
    const alice = await h.request('/probe?select=id', { as: 'alice' })
    expect(alice.headers.get('x-pre-request')).toBe(`authenticated ${USERS.alice}`)
  })

  it('rejects a read with its own status and message in PostgREST error JSON', async () => {
    const response = await h.request('/probe?select=id', { headers: { 'x-blocked': 'yes' } })
    expect(response.status).toBe(403)
    expect(await response.json()).toEqual({
      code: 'PT403',
      message: 'blocked by the pre-request function',
      details: null,
      hint: 'role anon',
    })
  })

  it('rejects a write before it runs: nothing is inserted', async () => {
    const blocked = await h.request('/probe', {
      method: 'POST',
      headers: { 'x-blocked': 'yes', 'content-type': 'application/json' },
      body: JSON.stringify({ id: 2, label: 'two' }),
    })
    expect(blocked.status).toBe(403)
    const { rows } = await h.test.db.query('select id from public.probe where id = 2')
    expect(rows).toEqual([])

    const allowed = await h.request('/probe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 2, label: 'two' }),
    })
    expect(allowed.status).toBe(201)
    expect(allowed.headers.get('x-pre-request')).toBe('anon -')
  })

  it('runs before the OpenAPI root document too, and may refuse it', async () => {
    const allowed = await h.request('/')
    expect(allowed.status).toBe(200)
    const refused = await h.request('/', { headers: { 'x-blocked': 'yes' } })
    expect(refused.status).toBe(403)
    expect(await refused.json()).toMatchObject({ code: 'PT403' })
  })

  it('runs before RPC calls and on the withClaims path', async () => {
    const rpc = await h.request('/rpc/doubled?n=1', { as: 'bob' })
    expect(rpc.headers.get('x-pre-request')).toBe(`authenticated ${USERS.bob}`)
    const slow = await h.request('/probe?select=id', {
      headers: { prefer: 'timezone=UTC', 'x-blocked': 'yes' },
    })
    expect(slow.status).toBe(403)
  })

  it('runs for api.query in a caller transaction, whose own work survives a rejection', async () => {
    await h.test.db.transaction(async (tx) => {
      await tx.query("insert into public.probe values (10, 'caller')")
      const rejected = await h.rest.api.query(
        { method: 'GET', path: '/probe', headers: { 'x-blocked': 'yes' } },
        { transaction: tx, principal: { kind: 'jwt', role: 'anon', claims: { role: 'anon' } } },
      )
      expect(rejected.status).toBe(403)
      const { rows } = await tx.query('select label from public.probe where id = 10')
      expect(rows).toEqual([{ label: 'caller' }])
    })
  })

  it('refuses a malformed function name at createRest (ConfigError names the field)', async () => {
    const { createRest } = await import('../src/index')
    expect(() => createRest({ db: h.test.db, preRequest: 'a.b.c' })).toThrow(/preRequest/)
  })
})

describe('quoted names and a clean pool', () => {
  it('quotes mixed-case and quote-containing names in preRequest and extraSearchPath', async () => {
    await h.test.db.query(`
      create schema "Odd ""Schema""";
      grant usage on schema "Odd ""Schema""" to anon;
      create function "Odd ""Schema"""."Check"() returns void language plpgsql as $$
        begin perform set_config('response.headers', '[{"X-Odd": "yes"}]', true); end $$;
      create function "Odd ""Schema""".tripled(n int) returns int language sql immutable as $$ select n * 3 $$;
      create function public.tripled_of(n int) returns int language plpgsql stable
        as $$ begin return tripled(n); end $$;
    `)
    const { createRest } = await import('../src/index')
    const odd = createRest({
      db: h.test.db,
      extraSearchPath: ['public', 'Odd "Schema"'],
      preRequest: 'Odd "Schema".Check',
      listen: false,
    })
    try {
      const result = await odd.api.query(
        { method: 'GET', path: '/rpc/tripled_of', query: 'n=2' },
        { principal: { kind: 'jwt', role: 'anon', claims: { role: 'anon' } } },
      )
      expect(result.status).toBe(200)
      expect(result.data).toBe(6)
      expect(result.headers['X-Odd']).toBe('yes')
    } finally {
      await odd.close()
    }
  })

  it('leaves no role or search_path on pooled connections, also after a refused request', async () => {
    for (let i = 0; i < 10; i++) {
      const refused = await h.request('/probe?select=id', { as: 'alice', headers: { 'x-blocked': 'yes' } })
      expect(refused.status).toBe(403)
      expect((await h.request('/probe?select=id', { as: 'bob' })).status).toBe(200)
    }
    const seen = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.test.db.query<{ sameUser: boolean; defaultPath: boolean; claims: string | null }>(
          `select current_user = session_user as "sameUser",
                  current_setting('search_path') = (select reset_val from pg_settings where name = 'search_path') as "defaultPath",
                  nullif(current_setting('request.jwt.claims', true), '') as claims`,
        ),
      ),
    )
    for (const { rows } of seen) {
      expect(rows[0]).toEqual({ sameUser: true, defaultPath: true, claims: null })
    }
  })
})
