import { migrations as coreMigrations, createDatabase, defineMigrations, migrate } from '@groundwork/core'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let t: TestDatabase

beforeAll(async () => {
  t = await createTestDatabase({ migrated: false })
})
afterAll(() => t.drop())

const appSet = (second = "insert into app.events (name) values ('second');") =>
  defineMigrations('app', {
    '0001_events.sql':
      'create schema app; create table app.events (id serial primary key, name text not null);',
    '0002_seed.sql': second,
  })

describe('migrate', () => {
  it('applies core and a package set on an empty database, then nothing on a second run', async () => {
    const first = await migrate(t.db, [coreMigrations, appSet()])
    expect(first.map((m) => `${m.set}/${m.name}`)).toEqual([
      'core/0001_bootstrap',
      'core/0002_auth_email',
      'app/0001_events',
      'app/0002_seed',
    ])
    const second = await migrate(t.db, [coreMigrations, appSet()])
    expect(second).toEqual([])
    const rows = await t.db.query(
      'select set_name, id, name, length(checksum) as len from groundwork.migrations order by set_name, id',
    )
    expect(rows.rows).toEqual([
      { set_name: 'app', id: 1, name: '0001_events', len: 64 },
      { set_name: 'app', id: 2, name: '0002_seed', len: 64 },
      { set_name: 'core', id: 1, name: '0001_bootstrap', len: 64 },
      { set_name: 'core', id: 2, name: '0002_auth_email', len: 64 },
    ])
  })

  it('creates the request roles with Supabase attributes and the auth helpers', async () => {
    const roles = await t.db.query(
      "select rolname, rolcanlogin, rolinherit, rolbypassrls from pg_roles where rolname in ('anon','authenticated','service_role') order by rolname",
    )
    expect(roles.rows).toEqual([
      { rolname: 'anon', rolcanlogin: false, rolinherit: false, rolbypassrls: false },
      { rolname: 'authenticated', rolcanlogin: false, rolinherit: false, rolbypassrls: false },
      { rolname: 'service_role', rolcanlogin: false, rolinherit: false, rolbypassrls: true },
    ])
    const fns = await t.db.query(
      "select proname from pg_proc where pronamespace = 'auth'::regnamespace order by proname",
    )
    expect(fns.rows.map((r) => r.proname)).toEqual(expect.arrayContaining(['email', 'jwt', 'role', 'uid']))
  })

  it('refuses an applied migration whose text changed (drift)', async () => {
    await expect(
      migrate(t.db, [coreMigrations, appSet("insert into app.events (name) values ('edited');")]),
    ).rejects.toMatchObject({
      code: 'CORE_MIGRATION_DRIFT',
    })
  })

  it('applies each migration exactly once when several processes start together', async () => {
    const fresh = await createTestDatabase({ migrated: false })
    const racers = Array.from({ length: 4 }, () => createDatabase({ connectionString: fresh.url, max: 2 }))
    try {
      const results = await Promise.all(racers.map((db) => migrate(db, [coreMigrations, appSet()])))
      const applied = results.flat().map((m) => `${m.set}/${m.name}`)
      expect(applied.sort()).toEqual([
        'app/0001_events',
        'app/0002_seed',
        'core/0001_bootstrap',
        'core/0002_auth_email',
      ])
      const events = await fresh.db.query('select name from app.events')
      expect(events.rows).toEqual([{ name: 'second' }])
    } finally {
      await Promise.all(racers.map((db) => db.close()))
      await fresh.drop()
    }
  })

  it('rolls back a failing migration and records nothing for it', async () => {
    const broken = defineMigrations('broken', {
      '0001_ok.sql': 'create table public.ok_table (id int);',
      '0002_fails.sql': 'create table public.half_done (id int); select 1/0;',
    })
    await expect(migrate(t.db, [broken])).rejects.toMatchObject({ code: 'CORE_MIGRATION_FAILED' })
    const recorded = await t.db.query("select name from groundwork.migrations where set_name = 'broken'")
    expect(recorded.rows).toEqual([{ name: '0001_ok' }])
    const half = await t.db.query("select to_regclass('public.half_done') as t")
    expect(half.rows[0]?.t).toBeNull()
  })

  it('rejects badly named or gapped migration files', () => {
    expect(() => defineMigrations('x', { 'init.sql': '' })).toThrow(/NNNN_name\.sql/)
    expect(() => defineMigrations('x', { '0001_a.sql': '', '0003_c.sql': '' })).toThrow(/without gaps/)
  })

  it('substitutes configured role names', async () => {
    const fresh = await createTestDatabase({ migrated: false })
    const custom = createDatabase({
      connectionString: fresh.url,
      roles: { anon: 'web_anon', authenticated: 'web_user', service: 'web_admin' },
    })
    try {
      await migrate(custom, [coreMigrations])
      const roles = await custom.query(
        "select rolname, rolbypassrls from pg_roles where rolname like 'web\\_%' order by rolname",
      )
      expect(roles.rows).toEqual([
        { rolname: 'web_admin', rolbypassrls: true },
        { rolname: 'web_anon', rolbypassrls: false },
        { rolname: 'web_user', rolbypassrls: false },
      ])
      const anon = await custom.withClaims(null, (tx) => tx.query('select current_user'))
      expect(anon.rows[0]?.current_user).toBe('web_anon')
    } finally {
      await custom.close()
      await fresh.drop()
    }
  })
})
