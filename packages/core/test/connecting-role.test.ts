import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDatabase, type Database, setupConnectingRole } from '../src/index'

let t: TestDatabase
let app: Database

beforeAll(async () => {
  t = await createTestDatabase()
  await t.db.query(`
    create table groundwork.gw_test_private (id int primary key);
    alter table groundwork.gw_test_private enable row level security;
    insert into groundwork.gw_test_private values (1), (2);
    create table public.secrets (id int primary key, body text);
    insert into public.secrets values (1, 'root only');
    create table public.notes (id int primary key, owner uuid);
    alter table public.notes enable row level security;
    grant select on public.notes to anon, authenticated, service_role;
    insert into public.notes values (1, gen_random_uuid());`)
  await setupConnectingRole(t.db, {
    role: 'gw_test_app',
    password: 'app-password',
    schemas: ['auth', 'groundwork'],
  })
  const url = new URL(t.url)
  url.username = 'gw_test_app'
  url.password = 'app-password'
  app = createDatabase({ connectionString: url.toString() })
})

afterAll(async () => {
  await app?.close()
  await t?.drop()
})

describe('setupConnectingRole', () => {
  it('connects as a role that is not a superuser and cannot bypass RLS', async () => {
    const { rows } = await app.query<{ rolsuper: boolean; rolbypassrls: boolean; rolinherit: boolean }>(
      'select rolsuper, rolbypassrls, rolinherit from pg_roles where rolname = current_user',
    )
    expect(rows).toEqual([{ rolsuper: false, rolbypassrls: false, rolinherit: false }])
  })

  it('switches to the request roles (service_role bypasses RLS) and to nothing else', async () => {
    const asService = await app.withClaims({ role: 'service_role' }, (tx) =>
      tx.query('select count(*)::int as n from public.notes'),
    )
    expect(asService.rows).toEqual([{ n: 1 }])
    const asAnon = await app.withClaims({ role: 'anon' }, (tx) =>
      tx.query('select count(*)::int as n from public.notes'),
    )
    expect(asAnon.rows).toEqual([{ n: 0 }])
    // Even past withClaims' allow-list, Postgres itself refuses the switch.
    await expect(app.query("select set_config('role', 'postgres', false)")).rejects.toMatchObject({
      code: '42501',
    })
    await expect(app.query('select * from public.secrets')).rejects.toMatchObject({ code: '42501' })
  })

  it("reads Groundwork's own RLS-protected tables (it owns them), which request roles cannot", async () => {
    // Like auth.users: RLS on, no policies. Only the owner sees rows.
    const { rows } = await app.query<{ n: number }>(
      'select count(*)::int as n from groundwork.gw_test_private',
    )
    expect(rows).toEqual([{ n: 2 }])
    const asService = await app.withClaims({ role: 'authenticated' }, (tx) =>
      tx
        .query('select count(*)::int as n from groundwork.gw_test_private')
        .catch((error: { code: string }) => error.code),
    )
    expect(asService).toBe('42501')
    await expect(app.query('select count(*) from auth.users')).resolves.toBeDefined()
  })

  it('takes over objects a later migration created when run again', async () => {
    await t.db.query('create table groundwork.gw_test_later (id int)')
    await expect(app.query('insert into groundwork.gw_test_later values (1)')).rejects.toMatchObject({
      code: '42501',
    })
    await setupConnectingRole(t.db, { role: 'gw_test_app', schemas: ['auth', 'groundwork'] })
    await expect(app.query('insert into groundwork.gw_test_later values (1)')).resolves.toBeDefined()
  })

  it('is idempotent', async () => {
    await setupConnectingRole(t.db, { role: 'gw_test_app', schemas: ['auth', 'groundwork'] })
    await expect(app.query('select 1')).resolves.toBeDefined()
  })
})
