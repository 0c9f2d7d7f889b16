import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RestHarness, startRest, USERS } from './support/server'

let h: RestHarness
beforeAll(async () => {
  h = await startRest({ reloadDebounce: 20 })
})
afterAll(async () => {
  await h?.close()
})

async function eventually(check: () => Promise<boolean>, timeout = 5000): Promise<boolean> {
  const until = Date.now() + timeout
  while (Date.now() < until) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return false
}

describe('schema cache reloading', () => {
  it('picks up DDL automatically through the event trigger', async () => {
    expect((await h.request('/gadgets')).status).toBe(404)
    await h.test.db.query(
      "create table public.gadgets (id int primary key, name text); insert into public.gadgets values (1, 'lamp'); grant select on public.gadgets to anon",
    )
    expect(await eventually(async () => (await h.request('/gadgets')).status === 200)).toBe(true)
    expect(await (await h.request('/gadgets?select=name')).json()).toEqual([{ name: 'lamp' }])
  })

  it('reconnects its LISTEN connection after it is killed, and catches up', async () => {
    await h.test.db.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query = 'LISTEN pgrst'",
    )
    await h.test.db.query(
      'create table public.gizmos (id int primary key); grant select on public.gizmos to anon',
    )
    expect(await eventually(async () => (await h.request('/gizmos')).status === 200, 8000)).toBe(true)
    const listening = await h.test.db.query(
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and query = 'LISTEN pgrst'",
    )
    expect(listening.rows[0]?.n).toBe(1)
  })

  it('does not reload for temporary tables', async () => {
    const before = (await h.rest.schemaCache()).version
    await h.test.db.transaction(async (tx) => {
      await tx.query('create temp table scratch (x int) on commit drop')
    })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect((await h.rest.schemaCache()).version).toBe(before)
  })

  it("reloads on NOTIFY pgrst, 'reload schema'", async () => {
    await h.test.db.query('alter event trigger groundwork_rest_schema_change disable')
    try {
      await h.test.db.query(
        'create table public.widgets (id int primary key); grant select on public.widgets to anon',
      )
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect((await h.request('/widgets')).status).toBe(404)
      await h.test.db.query("notify pgrst, 'reload schema'")
      expect(await eventually(async () => (await h.request('/widgets')).status === 200)).toBe(true)
    } finally {
      await h.test.db.query('alter event trigger groundwork_rest_schema_change enable')
    }
  })
})

describe('schema cache use', () => {
  it('never queries the catalogs while answering requests', async () => {
    // Let reloads triggered by earlier DDL in this file settle first.
    await new Promise((resolve) => setTimeout(resolve, 300))
    await h.rest.schemaCache()
    const seen: string[] = []
    const wrapped = new WeakSet<object>()
    const record = (client: { query: (...args: unknown[]) => unknown }) => {
      if (wrapped.has(client)) return
      wrapped.add(client)
      const original = client.query.bind(client)
      client.query = (...args: unknown[]) => {
        const config = args[0] as string | { text?: string }
        seen.push(typeof config === 'string' ? config : (config?.text ?? ''))
        return original(...args)
      }
    }
    h.test.db.pool.on('acquire', record)
    try {
      for (const path of [
        '/films?select=title,directors(name),actors(name)&year=gt.1950',
        '/classic_films?select=*,directors(*)',
        '/directors?select=name,films!inner(count)',
        '/',
      ]) {
        expect((await h.request(path)).status).toBe(200)
      }
      expect((await h.request('/films', { method: 'OPTIONS' })).status).toBe(200)
    } finally {
      h.test.db.pool.off('acquire', record)
    }
    expect(seen.length).toBeGreaterThan(0)
    // The root document's per-role privilege check (openapi-mode follow-privileges) is the only
    // catalog read, and it reads no schema structure.
    expect(
      seen.filter(
        (sql) =>
          /\bpg_(class|attribute|constraint|proc|namespace|rewrite|type)\b/.test(sql) &&
          !sql.includes('has_any_column_privilege'),
      ),
    ).toEqual([])
  })
})

describe('mounting', () => {
  it('strips basePath for frameworks that pass the full URL, and still accepts relative paths', async () => {
    const { createRest } = await import('../src/index')
    const mounted = createRest({ db: h.test.db, basePath: '/rest/v1', listen: false })
    try {
      const full = await mounted.handler(new Request('http://app.test/rest/v1/films?select=id&id=eq.1'))
      expect(await full.json()).toEqual([{ id: 1 }])
      const relative = await mounted.handler(new Request('http://app.test/films?select=id&id=eq.2'))
      expect(await relative.json()).toEqual([{ id: 2 }])
    } finally {
      await mounted.close()
    }
  })

  it('answers 503 PGRST002 while the database is unreachable', async () => {
    const { createDatabase } = await import('@groundwork/core')
    const { createRest } = await import('../src/index')
    const down = createDatabase({ connectionString: 'postgres://postgres@127.0.0.1:1/none', max: 1 })
    const rest = createRest({ db: down, listen: false })
    try {
      const response = await rest.handler(new Request('http://x/films'))
      expect(response.status).toBe(503)
      expect(await response.json()).toMatchObject({ code: 'PGRST002' })
    } finally {
      await rest.close()
      await down.close()
    }
  })

  it('rejects invalid options naming the field', async () => {
    const { createRest } = await import('../src/index')
    expect(() => createRest({ db: h.test.db, maxRows: -1 })).toThrow(/createRest\.maxRows/)
    expect(() => createRest({ db: h.test.db, basePath: 'rest/' })).toThrow(/createRest\.basePath/)
  })
})

describe('api.query', () => {
  it('runs the pipeline in-process, as a given principal', async () => {
    const result = await h.rest.api.query(
      { method: 'GET', path: '/films', query: { select: 'title', id: 'eq.4' } },
      { principal: { kind: 'anonymous', role: 'anon', claims: { role: 'anon' } } },
    )
    expect(result.status).toBe(200)
    expect(result.data).toEqual([{ title: 'Seven Samurai' }])
  })

  it("runs inside the caller's transaction and sees its uncommitted writes", async () => {
    const db = h.test.db
    const seen = await db.transaction(async (tx) => {
      await tx.query("insert into public.directors (id, name) values (99, 'Agnès Varda')")
      const inside = await h.rest.api.query(
        { method: 'GET', path: '/directors', query: 'select=name&id=eq.99' },
        { transaction: tx },
      )
      // The caller's transaction is still usable after the request.
      const role = await tx.query<{ role: string }>('select current_user as role')
      return { data: inside.data, role: role.rows[0]?.role }
    })
    expect(seen.data).toEqual([{ name: 'Agnès Varda' }])
    expect(seen.role).not.toBe('anon')
    const after = await h.rest.api.query({ method: 'GET', path: '/directors', query: 'id=eq.99&select=id' })
    expect(after.data).toEqual([{ id: 99 }])
  })

  it('renders errors in PostgREST shape', async () => {
    const result = await h.rest.api.query({ method: 'GET', path: '/films', query: 'select=id,(' })
    expect(result.status).toBe(400)
    expect(result.data).toMatchObject({ code: 'PGRST100' })
  })
})

describe('pipelined reads', () => {
  it('never answers data when the claims cannot be applied, and keeps connections usable', async () => {
    const { signTestToken, requestHandler } = await import('@groundwork/testing')
    const { createDatabase } = await import('@groundwork/core')
    const { createRest } = await import('../src/index')
    const token = await signTestToken({ role: 'no_such_role' })
    // A role outside the allowed ones is refused before any SQL runs…
    const refused = await h.request('/films?select=id', { headers: { Authorization: `Bearer ${token}` } })
    expect(refused.status).toBe(401)
    expect(await refused.json()).toMatchObject({ code: 'PGRST301' })
    // …and an allowed role Postgres cannot switch to fails in the pipelined claims step itself.
    const db = createDatabase({ connectionString: h.test.url, allowedRoles: ['no_such_role'], max: 3 })
    const rest = createRest({
      db,
      authenticate: async () => ({ kind: 'jwt', role: 'no_such_role', claims: { role: 'no_such_role' } }),
      listen: false,
    })
    try {
      for (let i = 0; i < 15; i++) {
        const response = await requestHandler(rest.handler, '/films?select=id')
        expect(response.status).toBeGreaterThanOrEqual(400)
        expect(await response.json()).toMatchObject({ code: '22023' })
      }
      const ok = await db.withClaims({ role: 'anon' }, (tx) =>
        tx.query('select id from public.films where id = 1'),
      )
      expect(ok.rows).toEqual([{ id: 1 }])
    } finally {
      await rest.close()
      await db.close()
    }
    // More failures than the pool has connections: every one was returned in a clean state.
    const ok = await h.request('/films?select=id&id=eq.1')
    expect(await ok.json()).toEqual([{ id: 1 }])
  })

  it('applies claims to the pipelined statement (RLS and request settings)', async () => {
    const alice = await h.request('/todos?select=id&order=id', { as: 'alice' })
    expect(await alice.json()).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }])
    const bob = await h.request('/todos?select=id&order=id', { as: 'bob' })
    expect(await bob.json()).toEqual([{ id: 3 }, { id: 4 }, { id: 5 }])
  })

  it('sets exactly the settings core withClaims sets', async () => {
    const settings = `select current_user::text as role,
      current_setting('request.jwt.claims', true) as claims,
      current_setting('request.jwt.claim.sub', true) as sub,
      current_setting('request.jwt.claim.role', true) as claim_role,
      current_setting('request.method', true) as method,
      current_setting('request.path', true) as path,
      current_setting('request.headers', true)::json->>'x-probe' as probe,
      current_setting('transaction_read_only') as read_only`
    await h.test.db.query(
      `create view public.request_settings as ${settings}; grant select on public.request_settings to authenticated`,
    )
    await h.rest.api.reloadSchema()
    const response = await h.request('/request_settings', { as: 'alice', headers: { 'X-Probe': 'yes' } })
    const [viaRest] = (await response.json()) as Array<Record<string, string>>
    const claims = JSON.parse(viaRest?.claims ?? '{}') as Record<string, unknown>
    expect(claims).toMatchObject({ role: 'authenticated', sub: USERS.alice })
    const viaCore = await h.test.db.withClaims(
      claims,
      async (tx) => (await tx.query<Record<string, string>>(settings)).rows[0],
      { method: 'GET', path: '/request_settings', headers: { 'X-Probe': 'yes' }, readOnly: true },
    )
    expect(viaRest).toEqual(viaCore)
    expect(viaRest).toMatchObject({
      role: 'authenticated',
      sub: USERS.alice,
      method: 'GET',
      probe: 'yes',
      read_only: 'on',
    })
  })

  it('runs many concurrent reads without mixing results', async () => {
    const ids = [1, 2, 3, 4, 5]
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        h
          .request(`/films?select=id&id=eq.${ids[i % 5]}`)
          .then((r) => r.json() as Promise<Array<{ id: number }>>),
      ),
    )
    for (const [i, rows] of results.entries()) expect(rows).toEqual([{ id: ids[i % 5] }])
  })
})

describe('OpenAPI', () => {
  it('describes tables, columns and functions as OpenAPI 3.1', async () => {
    const response = await h.request('/')
    expect(response.headers.get('content-type')).toContain('application/openapi+json')
    const doc = (await response.json()) as {
      openapi: string
      paths: Record<string, Record<string, unknown>>
      components: {
        schemas: Record<string, { properties: Record<string, { type: unknown }>; required?: string[] }>
      }
    }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/films', '/rpc/add', '/classic_films']))
    expect(Object.keys(doc.paths['/films'] ?? {})).toEqual(['get', 'post', 'patch', 'put', 'delete'])
    expect(Object.keys(doc.paths['/rpc/log_message'] ?? {})).toEqual(['post'])
    expect(doc.components.schemas.films?.properties.rating?.type).toEqual(['number', 'null'])
    expect(doc.components.schemas.films?.required).toEqual(['id', 'title', 'year'])
    expect(
      (doc as unknown as { components: { securitySchemes: object } }).components.securitySchemes,
    ).toHaveProperty('bearer')
  })
})
