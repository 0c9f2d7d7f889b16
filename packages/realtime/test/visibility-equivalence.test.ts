/**
 * The invariant behind realtime visibility: for every logged change and every identity, the
 * generated visibility function (the table's SELECT policies evaluated on the logged row) answers
 * exactly what `select … from table` answers under `withClaims` for that identity when the table
 * holds that version of the row — across a membership-join policy, a restrictive policy, policies
 * for specific roles (one held through role membership), claims-dependent policies, RLS disabled,
 * a role without SELECT, the BYPASSRLS service role, a table with more distinct policy role lists
 * than get static branches, and after the policies change. Where the select fails for an identity
 * (a policy erroring on its claims), that identity sees nothing, and the others of its role are
 * still decided.
 */
import { createDatabase, type Database, type JwtClaims } from '@groundwork/core'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const EDITOR = 'gw_rt_test_editor'
const STAFF = 'gw_rt_test_staff'
const A = '11111111-1111-4111-8111-111111111111'
const B = '22222222-2222-4222-8222-222222222222'
const C = '33333333-3333-4333-8333-333333333333'

/** The identities compared: role + claims, as a token would carry them. */
const IDENTITIES: Record<string, JwtClaims & { role: string }> = {
  anon: { role: 'anon' },
  alice: { role: 'authenticated', sub: A },
  bob: { role: 'authenticated', sub: B },
  carol: { role: 'authenticated', sub: C },
  editor: { role: EDITOR, sub: A, clearance: 2 },
  // Its clearance is not a number: the staff policy raises for it (as in a REST request).
  editorWithBadClearance: { role: EDITOR, sub: B, clearance: 'high' },
  editorWithoutClearance: { role: EDITOR },
  service: { role: 'service_role' },
}
const TABLES = ['eq_docs', 'eq_open', 'eq_many'] as const

let test: TestDatabase
/** Runs withClaims for the custom role too. */
let requests: Database
const relids: Record<string, number> = {}

beforeAll(async () => {
  test = await createTestDatabase()
  await test.db.query(`
    do $$ begin create role ${EDITOR} nologin; exception when duplicate_object then null; end $$;
    do $$ begin create role ${STAFF} nologin; exception when duplicate_object then null; end $$;
    grant ${STAFF} to ${EDITOR};
    grant usage on schema auth to ${EDITOR};
    grant execute on function auth.uid(), auth.jwt() to ${EDITOR};
    create table eq_lists (id int primary key, public boolean not null);
    create table eq_members (list_id int not null, user_id uuid not null, primary key (list_id, user_id));
    create table eq_docs (
      id int primary key, list_id int not null, owner uuid, title text not null,
      archived boolean not null default false, level int not null default 0
    );
    alter table eq_docs enable row level security;
    grant select on eq_docs to anon, authenticated, service_role, ${EDITOR};
    -- anon may not read eq_members: a policy for authenticated reading it must not matter to anon.
    grant select on eq_members to authenticated, service_role, ${EDITOR};
    grant select on eq_lists to anon, authenticated, service_role, ${EDITOR};
    create policy members on eq_docs for select to authenticated using (
      exists (select 1 from eq_members m where m.list_id = eq_docs.list_id and m.user_id = auth.uid()));
    create policy owner on eq_docs for select to authenticated using (owner = auth.uid());
    create policy public_lists on eq_docs for select using (list_id in (select id from eq_lists where public));
    create policy staff on eq_docs for all to ${STAFF} using (level <= coalesce((auth.jwt() ->> 'clearance')::int, 0));
    create policy not_archived on eq_docs as restrictive for select to authenticated using (not archived);
    create policy insert_only on eq_docs for insert to authenticated with check (true);
    create table eq_open (id int primary key, v text);
    grant select on eq_open to anon, authenticated, service_role;
    -- Five distinct policy role lists: decided by the dynamic path.
    create table eq_many (id int primary key, n int not null);
    alter table eq_many enable row level security;
    grant select on eq_many to anon, authenticated, service_role, ${EDITOR};
    create policy p_anon on eq_many for select to anon using (n % 2 = 0);
    create policy p_auth on eq_many for select to authenticated using (n % 3 = 0);
    create policy p_both on eq_many for select to anon, authenticated using (n = 1);
    create policy p_staff on eq_many for select to ${STAFF} using (n % 5 = 0);
    create policy p_editor on eq_many for select to ${EDITOR} using (n < coalesce((auth.jwt() ->> 'clearance')::int, 0));
    create policy p_restrict on eq_many as restrictive for select to authenticated, ${EDITOR} using (n <> 6);
    insert into eq_lists values (1, false), (2, false), (3, true);
    insert into eq_members values (1, '${A}'), (2, '${B}'), (2, '${A}');
    select realtime.enable('eq_docs');
    select realtime.enable('eq_open');
    select realtime.enable('eq_many');
  `)
  const { rows } = await test.db.query<{ name: string; relid: number }>(
    `select table_name as name, relid::int8 as relid from realtime.published`,
  )
  for (const row of rows) relids[row.name] = Number(row.relid)
  requests = createDatabase({ connectionString: test.url, allowedRoles: [EDITOR], max: 2 })
})

afterAll(async () => {
  await requests?.close()
  await test?.drop()
})

type Verdicts = Record<string, Record<string, number[]>>

/** What `select id from <table>` returns to each identity (nothing where the select fails). */
async function selected(): Promise<Verdicts> {
  const result: Verdicts = {}
  for (const [name, claims] of Object.entries(IDENTITIES)) {
    result[name] = {}
    for (const table of TABLES) {
      const ids = await requests
        .withClaims(claims, (tx) => tx.query<{ id: number }>(`select id from ${table} order by id`))
        .then(
          ({ rows }) => rows.map((row) => row.id),
          (error: { code?: string }) => {
            // permission denied, or a policy failing on these claims (invalid integer)
            if (error.code === '42501' || error.code === '22P02') return []
            throw error
          },
        )
      ;(result[name] as Record<string, number[]>)[table] = ids
    }
  }
  return result
}

/** What realtime.visible decides for the logged changes of `op`, as the row ids they carry. */
async function decided(op: 'INSERT' | 'UPDATE' | 'DELETE'): Promise<Verdicts> {
  const { rows: changes } = await test.db.query<{ id: string; table_name: string; row_id: number }>(
    `select id, table_name, (pk ->> 'id')::int as row_id from realtime.changes where op = $1 order by id`,
    [op],
  )
  const tables: Record<string, string> = {}
  for (const table of TABLES) {
    const ids = changes.filter((c) => c.table_name === table).map((c) => c.id)
    tables[String(relids[table])] = `{${ids.join(',')}}`
  }
  const names = Object.keys(IDENTITIES)
  const groups = names.map((name) => ({
    role: IDENTITIES[name]?.role,
    claims: IDENTITIES[name],
    relids: TABLES.map((table) => String(relids[table])),
  }))
  const { rows } = await test.db.query<{ grp: number; change_id: string }>(
    'select grp, change_id from realtime.visible($1::jsonb, $2::jsonb)',
    [JSON.stringify(groups), JSON.stringify(tables)],
  )
  const byId = new Map(changes.map((c) => [c.id, c]))
  const result: Verdicts = {}
  for (const name of names) result[name] = Object.fromEntries(TABLES.map((table) => [table, [] as number[]]))
  for (const row of rows) {
    const change = byId.get(String(row.change_id))
    if (!change) continue
    result[names[row.grp] as string]?.[change.table_name]?.push(change.row_id)
  }
  for (const verdict of Object.values(result))
    for (const ids of Object.values(verdict)) ids.sort((x, y) => x - y)
  return result
}

describe('realtime visibility equals Postgres RLS', () => {
  it('decides every logged INSERT, UPDATE and DELETE as select under withClaims does, also after policies change', async () => {
    // INSERT: the table holds exactly the logged versions.
    await test.db.query(`
      insert into eq_docs (id, list_id, owner, title, archived, level)
      select g, 1 + g % 3, (array['${A}', '${B}', '${C}', null])[1 + g % 4]::uuid, 'doc ' || g, g % 5 = 0, g % 4
        from generate_series(1, 60) g;
      insert into eq_open select g, 'v' || g from generate_series(1, 5) g;
      insert into eq_many select g, g from generate_series(1, 20) g;
    `)
    const afterInsert = await selected()
    expect(await decided('INSERT')).toEqual(afterInsert)
    // Not a vacuous comparison: identities see different, partial sets.
    expect(afterInsert.alice?.eq_docs?.length).toBeGreaterThan(0)
    expect(afterInsert.alice?.eq_docs?.length).toBeLessThan(60)
    expect(afterInsert.anon?.eq_docs).not.toEqual(afterInsert.alice?.eq_docs)
    expect(afterInsert.editor?.eq_docs).not.toEqual(afterInsert.editorWithoutClearance?.eq_docs)
    expect(afterInsert.service?.eq_docs).toHaveLength(60)
    expect(afterInsert.editor?.eq_open).toEqual([])
    expect(afterInsert.editorWithBadClearance?.eq_docs).toEqual([])
    expect(afterInsert.editorWithoutClearance?.eq_docs?.length).toBeGreaterThan(0)
    expect(afterInsert.anon?.eq_many?.length).toBeGreaterThan(0)

    // UPDATE: decided on the new versions.
    await test.db.query(`
      update eq_docs set list_id = case when id % 2 = 0 then 1 + (list_id + id) % 3 else list_id end,
                         archived = case when id % 3 = 0 then not archived else archived end,
                         level = (level + id) % 4;
      update eq_open set v = v || '!';
      update eq_many set n = n + 1;
    `)
    expect(await decided('UPDATE')).toEqual(await selected())

    // Policies and RLS settings change: the generated functions follow.
    await test.db.query(`
      drop policy owner on eq_docs;
      create policy owner_low on eq_docs for select to authenticated using (owner = auth.uid() and level < 2);
      alter policy public_lists on eq_docs using (list_id = 3 and level > 0);
      create policy hide_high on eq_docs as restrictive for select to ${STAFF} using (level < 3);
      alter table eq_open enable row level security;
      create policy even on eq_open for select to anon using (id % 2 = 0);
    `)
    const beforeDelete = await selected()
    expect(await decided('UPDATE')).toEqual(beforeDelete)
    expect(beforeDelete.alice?.eq_open).toEqual([])
    expect(beforeDelete.anon?.eq_open).toEqual([2, 4])

    // DELETE: decided on the removed rows, i.e. what each identity could read just before.
    await test.db.query('delete from eq_docs; delete from eq_open; delete from eq_many')
    expect(await decided('DELETE')).toEqual(beforeDelete)
  })
})
