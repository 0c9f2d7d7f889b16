/**
 * Writes through the real `@supabase/postgrest-js`: insert, upsert, update, delete, PUT, and the
 * `Prefer` preferences that shape them. The expected behaviour is PostgREST v12's.
 *
 * @see https://docs.postgrest.org/en/v12/references/api/tables_views.html
 * @see https://docs.postgrest.org/en/v12/references/api/preferences.html
 */

import { signTestToken } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RestHarness, startRest, USERS } from './support/server'

let h: RestHarness
beforeAll(async () => {
  h = await startRest({ txEnd: 'commit-allow-override' })
})
afterAll(async () => {
  await h?.close()
})

async function todoCount(where = 'true'): Promise<number> {
  const { rows } = await h.test.db.query<{ n: number }>(`select count(*)::int as n from todos where ${where}`)
  return rows[0]?.n ?? 0
}

describe('insert', () => {
  it('inserts one object and returns the row with defaults and generated columns via .select()', async () => {
    const { data, error, status } = await h.alice
      .from('todos')
      .insert({ title: 'Water plants', list_id: 1 })
      .select()
    expect(error).toBeNull()
    expect(status).toBe(201)
    expect(data).toHaveLength(1)
    expect(data?.[0]).toMatchObject({
      title: 'Water plants',
      list_id: 1,
      owner_id: USERS.alice,
      done: false,
      priority: 0,
      title_length: 12,
      tags: [],
    })
    expect(typeof data?.[0].id).toBe('number')
  })

  it('answers 201 with no body without .select() (return=minimal)', async () => {
    const before = await todoCount()
    const { data, error, status } = await h.alice.from('todos').insert({ title: 'Quiet insert' })
    expect(error).toBeNull()
    expect(status).toBe(201)
    expect(data).toBeNull()
    expect(await todoCount()).toBe(before + 1)
  })

  it('bulk-inserts an array (postgrest-js sends columns=) and missing keys become null', async () => {
    const { data, error } = await h.alice
      .from('todos')
      .insert([
        { title: 'Bulk A', priority: 4, due: '2031-01-01' },
        { title: 'Bulk B', priority: 1 },
      ])
      .select('title, priority, due')
      .order('title')
    expect(error).toBeNull()
    expect(data).toEqual([
      { title: 'Bulk A', priority: 4, due: '2031-01-01' },
      { title: 'Bulk B', priority: 1, due: null },
    ])
  })

  it('sends null for a key missing from one row, violating NOT NULL (23502 → 400)', async () => {
    const { error, status } = await h.alice
      .from('todos')
      .insert([{ title: 'Has priority', priority: 2 }, { title: 'No priority' }])
    expect(status).toBe(400)
    expect(error?.code).toBe('23502')
  })

  it('fills missing keys with column defaults with defaultToNull: false (Prefer: missing=default)', async () => {
    const { data, error } = await h.alice
      .from('todos')
      .insert([{ title: 'Default A', priority: 7 }, { title: 'Default B' }], { defaultToNull: false })
      .select('title, priority, done')
      .order('title')
    expect(error).toBeNull()
    expect(data).toEqual([
      { title: 'Default A', priority: 7, done: false },
      { title: 'Default B', priority: 0, done: false },
    ])
  })

  it('returns one object with .single() and embeds a to-one relation in the returned row', async () => {
    const { data, error } = await h.alice
      .from('todos')
      .insert({ title: 'With list', list_id: 2 })
      .select('title, lists(title)')
      .single()
    expect(error).toBeNull()
    expect(data).toEqual({ title: 'With list', lists: { title: 'Shared with Bob' } })
  })

  it('reports the inserted count with count: exact', async () => {
    const { count, error } = await h.alice
      .from('todos')
      .insert([{ title: 'Counted 1' }, { title: 'Counted 2' }], { count: 'exact' })
    expect(error).toBeNull()
    expect(count).toBe(2)
  })

  it('writes only the columns named by columns= and ignores other keys', async () => {
    const response = await h.request('/todos?columns=title,priority&select=title,priority,done', {
      as: 'alice',
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'return=representation' },
      body: JSON.stringify([{ title: 'Cols', priority: 6, done: true, ignored: 'x' }]),
    })
    expect(response.status).toBe(201)
    expect(await response.json()).toEqual([{ title: 'Cols', priority: 6, done: false }])
  })

  it('refuses an unknown column with PGRST204', async () => {
    const { error, status } = await h.alice.from('todos').insert({ title: 'x', nope: 1 })
    expect(status).toBe(400)
    expect(error?.code).toBe('PGRST204')
    expect(error?.message).toContain("'nope'")
  })

  it('inserts through an auto-updatable view', async () => {
    const { data, error } = await h.alice
      .from('open_todos')
      .insert({ title: 'Via view', owner_id: USERS.alice, priority: 9 })
      .select('title, priority')
    expect(error).toBeNull()
    expect(data).toEqual([{ title: 'Via view', priority: 9 }])
  })

  it('rejects a generated column write with the Postgres error (428C9)', async () => {
    const { error, status } = await h.alice.from('todos').insert({ title: 'x', title_length: 3 })
    expect(status).toBe(400)
    expect(error?.code).toBe('428C9')
  })
})

describe('row-level security on writes', () => {
  it('answers 401 with WWW-Authenticate for anon (no grant on todos)', async () => {
    const response = await h.request('/todos', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'anon todo' }),
    })
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect(await response.json()).toMatchObject({ code: '42501' })
  })

  it('answers 403 when a policy refuses the new row (bob into alice-only list)', async () => {
    const { error, status } = await h.bob.from('todos').insert({ title: 'sneaky', list_id: 1 })
    expect(status).toBe(403)
    expect(error?.code).toBe('42501')
    expect(error?.message).toContain('row-level security')
  })

  it('lets a list editor insert into a shared list', async () => {
    const { data, error } = await h.bob
      .from('todos')
      .insert({ title: 'Bob adds', list_id: 2 })
      .select('title, owner_id')
      .single()
    expect(error).toBeNull()
    expect(data).toEqual({ title: 'Bob adds', owner_id: USERS.bob })
  })

  it('updates nothing the caller cannot see: bob patching alice-only rows affects 0 rows', async () => {
    const { data, error } = await h.bob.from('todos').update({ title: 'hacked' }).eq('list_id', 1).select()
    expect(error).toBeNull()
    expect(data).toEqual([])
    expect(await todoCount("title = 'hacked'")).toBe(0)
  })

  it('deletes only own rows: bob cannot delete alice todo 3 in the shared list', async () => {
    const { data, error } = await h.bob.from('todos').delete().eq('id', 3).select('id')
    expect(error).toBeNull()
    expect(data).toEqual([])
    expect(await todoCount('id = 3')).toBe(1)
  })

  it('service_role bypasses RLS', async () => {
    const { data, error } = await h.service
      .from('todos')
      .update({ priority: 8 })
      .eq('id', 6)
      .select('id, priority, owner_id')
    expect(error).toBeNull()
    expect(data).toEqual([{ id: 6, priority: 8, owner_id: USERS.carol }])
  })
})

describe('transaction hygiene (pipelined writes)', () => {
  it('runs nothing when the role cannot be assumed: the claims step fails first', async () => {
    const token = await signTestToken({ role: 'no_such_role', sub: USERS.alice })
    const response = await h.request('/todos', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'ghost write' }),
    })
    expect(response.status).toBeGreaterThanOrEqual(400)
    expect(response.status).toBeLessThan(500)
    expect((await response.json()).code).toBe('22023')
    expect(await todoCount("title = 'ghost write'")).toBe(0)
  })

  it('leaves pooled connections clean after failed writes: no claims leak into later requests', async () => {
    const attempts = Array.from({ length: 30 }, (_, i) =>
      i % 2 === 0
        ? h.alice.from('directors').insert({ id: 1, name: 'dup' }) // 23505: id 1 exists
        : h.anon.rpc('whoami'),
    )
    const results = await Promise.all(attempts)
    results.forEach((result, i) => {
      if (i % 2 === 0) expect(result.error).not.toBeNull()
      else expect(result.data).toBeNull()
    })
  })
})

describe('upsert', () => {
  it('merges duplicates on the primary key', async () => {
    const { data, error, status } = await h.service
      .from('directors')
      .upsert([
        { id: 1, name: 'S. Kubrick' },
        { id: 10, name: 'Agnès Varda' },
      ])
      .select()
      .order('id')
    expect(error).toBeNull()
    expect(status).toBe(201)
    expect(data).toEqual([
      { id: 1, name: 'S. Kubrick' },
      { id: 10, name: 'Agnès Varda' },
    ])
  })

  it('ignores duplicates with ignoreDuplicates: true, returning only the inserted rows', async () => {
    const { data, error } = await h.service
      .from('directors')
      .upsert(
        [
          { id: 1, name: 'Ignored' },
          { id: 11, name: 'Chantal Akerman' },
        ],
        { ignoreDuplicates: true },
      )
      .select()
    expect(error).toBeNull()
    expect(data).toEqual([{ id: 11, name: 'Chantal Akerman' }])
    const { rows } = await h.test.db.query('select name from directors where id = 1')
    expect(rows[0]?.name).toBe('S. Kubrick')
  })

  it('uses onConflict for a unique column that is not the key', async () => {
    const { data, error } = await h.alice
      .from('profiles')
      .upsert({ id: USERS.alice, username: 'alice', bio: 'Upserted bio' }, { onConflict: 'username' })
      .select('username, bio')
    expect(error).toBeNull()
    expect(data).toEqual([{ username: 'alice', bio: 'Upserted bio' }])
  })

  it('fails on a duplicate key without resolution (23505 → 409)', async () => {
    const { error, status } = await h.service.from('directors').insert({ id: 2, name: 'dup' })
    expect(status).toBe(409)
    expect(error?.code).toBe('23505')
  })

  it('reports resolution in Preference-Applied', async () => {
    const response = await h.request('/teams', {
      as: 'service',
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        prefer: 'resolution=merge-duplicates, return=representation',
      },
      body: JSON.stringify({ id: 3, name: 'Bears' }),
    })
    expect(response.status).toBe(201)
    const applied = response.headers.get('preference-applied') ?? ''
    expect(applied).toContain('resolution=merge-duplicates')
    expect(applied).toContain('return=representation')
    expect(await response.json()).toEqual([{ id: 3, name: 'Bears' }])
  })
})

describe('update', () => {
  it('updates the filtered rows and returns them', async () => {
    const { data, error, status } = await h.alice
      .from('todos')
      .update({ done: true })
      .in('id', [1, 3])
      .select('id, done')
      .order('id')
    expect(error).toBeNull()
    expect(status).toBe(200)
    expect(data).toEqual([
      { id: 1, done: true },
      { id: 3, done: true },
    ])
  })

  it('answers 204 without .select()', async () => {
    const { data, error, status } = await h.alice.from('todos').update({ priority: 3 }).eq('id', 1)
    expect(error).toBeNull()
    expect(status).toBe(204)
    expect(data).toBeNull()
  })

  it('counts affected rows with count: exact', async () => {
    const { count, error } = await h.alice
      .from('todos')
      .update({ priority: 2 }, { count: 'exact' })
      .in('id', [1, 2])
    expect(error).toBeNull()
    expect(count).toBe(2)
  })

  it('rolls back a .single() update that touched several rows (406 PGRST116)', async () => {
    const { error, status } = await h.alice
      .from('todos')
      .update({ title: 'Same title' })
      .eq('list_id', 1)
      .select()
      .single()
    expect(status).toBe(406)
    expect(error?.code).toBe('PGRST116')
    expect(await todoCount("title = 'Same title'")).toBe(0)
  })

  it('returns null from .maybeSingle() when nothing matched', async () => {
    const { data, error } = await h.alice
      .from('todos')
      .update({ title: 'nobody' })
      .eq('id', 999_999)
      .select()
      .maybeSingle()
    expect(error).toBeNull()
    expect(data).toBeNull()
  })

  it('updates json, array and range columns', async () => {
    const { data, error } = await h.service
      .from('events')
      .update({ attrs: { level: 9, nested: { ok: true } }, labels: ['p', 'q'], seats: '[5,10)' })
      .eq('name', 'Retro')
      .select('attrs, labels, seats')
      .single()
    expect(error).toBeNull()
    expect(data).toEqual({ attrs: { level: 9, nested: { ok: true } }, labels: ['p', 'q'], seats: '[5,10)' })
  })

  it('refuses more affected rows than max-affected (PGRST124) and rolls back', async () => {
    const { error, status } = await h.alice
      .from('todos')
      .update({ priority: 42 })
      .eq('list_id', 1)
      .maxAffected(1)
    expect(status).toBe(400)
    expect(error?.code).toBe('PGRST124')
    expect(await todoCount('priority = 42')).toBe(0)
  })

  it('allows the update when within max-affected', async () => {
    const { error } = await h.alice.from('todos').update({ priority: 41 }).eq('id', 1).maxAffected(1)
    expect(error).toBeNull()
    expect(await todoCount('priority = 41')).toBe(1)
  })
})

describe('limited update and delete', () => {
  it('updates only `limit` rows in `order` (PATCH … order=id&limit=1)', async () => {
    await h.alice
      .from('todos')
      .insert([{ title: 'Limited 1' }, { title: 'Limited 2' }, { title: 'Limited 3' }])
    const { data, error } = await h.alice
      .from('todos')
      .update({ priority: 77 })
      .like('title', 'Limited %')
      .order('title', { ascending: false })
      .limit(2)
      .select('title')
    expect(error).toBeNull()
    expect(data?.map((r) => r.title).sort()).toEqual(['Limited 2', 'Limited 3'])
    expect(await todoCount("title like 'Limited %' and priority = 77")).toBe(2)
  })

  it('deletes only `limit` rows', async () => {
    const { error } = await h.alice.from('todos').delete().like('title', 'Limited %').order('title').limit(1)
    expect(error).toBeNull()
    expect(await todoCount("title = 'Limited 1'")).toBe(0)
    expect(await todoCount("title like 'Limited %'")).toBe(2)
  })
})

describe('more upserts', () => {
  it('merges on a composite primary key', async () => {
    const { data, error } = await h.alice
      .from('list_members')
      .upsert({ list_id: 2, user_id: USERS.bob, role: 'viewer' })
      .select('list_id, user_id, role')
    expect(error).toBeNull()
    expect(data).toEqual([{ list_id: 2, user_id: USERS.bob, role: 'viewer' }])
    await h.alice.from('list_members').upsert({ list_id: 2, user_id: USERS.bob, role: 'editor' })
  })

  it('answers headers-only without Location for a table without a primary key', async () => {
    const response = await h.request('/audit_log', {
      as: 'service',
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'return=headers-only' },
      body: JSON.stringify({ message: 'no key' }),
    })
    expect(response.status).toBe(201)
    expect(response.headers.get('location')).toBeNull()
  })
})

describe('inside the caller transaction (api.query)', () => {
  it('a write made through api.query rolls back with the caller transaction', async () => {
    const principal = {
      kind: 'jwt' as const,
      role: 'authenticated',
      claims: { role: 'authenticated', sub: USERS.alice },
    }
    await expect(
      h.test.db.transaction(async (tx) => {
        const result = await h.rest.api.query(
          {
            method: 'POST',
            path: '/todos',
            query: 'select=title,owner_id',
            headers: { prefer: 'return=representation' },
            body: { title: 'In caller tx' },
          },
          { transaction: tx, principal },
        )
        expect(result.status).toBe(201)
        expect(result.data).toEqual([{ title: 'In caller tx', owner_id: USERS.alice }])
        const inside = await tx.query("select count(*)::int as n from todos where title = 'In caller tx'")
        expect(inside.rows[0]?.n).toBe(1)
        throw new Error('abort the caller transaction')
      }),
    ).rejects.toThrow('abort the caller transaction')
    expect(await todoCount("title = 'In caller tx'")).toBe(0)
  })
})

describe('delete', () => {
  it('deletes the filtered rows and returns them with .select()', async () => {
    await h.alice.from('todos').insert([{ title: 'Delete me 1' }, { title: 'Delete me 2' }])
    const { data, error, status } = await h.alice
      .from('todos')
      .delete()
      .like('title', 'Delete me%')
      .select('title')
      .order('title')
    expect(error).toBeNull()
    expect(status).toBe(200)
    expect(data).toEqual([{ title: 'Delete me 1' }, { title: 'Delete me 2' }])
    expect(await todoCount("title like 'Delete me%'")).toBe(0)
  })

  it('answers 204 without .select() and counts with count: exact', async () => {
    await h.alice.from('todos').insert([{ title: 'Gone 1' }, { title: 'Gone 2' }])
    const { count, status, error } = await h.alice
      .from('todos')
      .delete({ count: 'exact' })
      .like('title', 'Gone %')
    expect(error).toBeNull()
    expect(status).toBe(204)
    expect(count).toBe(2)
  })

  it('refuses deleting more than max-affected rows', async () => {
    await h.alice.from('todos').insert([{ title: 'Keep 1' }, { title: 'Keep 2' }])
    const { error } = await h.alice.from('todos').delete().like('title', 'Keep %').maxAffected(1)
    expect(error?.code).toBe('PGRST124')
    expect(await todoCount("title like 'Keep %'")).toBe(2)
  })
})

describe('Prefer: tx', () => {
  it('rolls back with .rollback() but still returns the representation', async () => {
    const { data, error } = await h.alice
      .from('todos')
      .insert({ title: 'Dry run' })
      .select('title')
      .rollback()
    expect(error).toBeNull()
    expect(data).toEqual([{ title: 'Dry run' }])
    expect(await todoCount("title = 'Dry run'")).toBe(0)
  })
})

describe('raw protocol', () => {
  it('answers return=minimal with an empty body of Content-Length 0 (never an empty chunked body)', async () => {
    const response = await h.request('/todos', {
      as: 'alice',
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'return=minimal' },
      body: JSON.stringify({ title: 'Minimal' }),
    })
    expect(response.status).toBe(201)
    expect(response.headers.get('content-length')).toBe('0')
    expect(response.headers.get('transfer-encoding')).toBeNull()
    expect(await response.text()).toBe('')
  })

  it('answers return=headers-only with a Location built from the primary key', async () => {
    const response = await h.request('/directors', {
      as: 'service',
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'return=headers-only' },
      body: JSON.stringify({ id: 20, name: 'Jane Campion' }),
    })
    expect(response.status).toBe(201)
    expect(response.headers.get('location')).toBe('/directors?id=eq.20')
    expect(await response.text()).toBe('')
  })

  it('inserts a CSV body; unquoted NULL is null and "" is the empty string', async () => {
    const response = await h.request('/actors?select=id,name,birth_year', {
      as: 'service',
      method: 'POST',
      headers: { 'content-type': 'text/csv', prefer: 'return=representation' },
      body: 'id,name,birth_year\n30,"Doe, Jane",1970\n31,NULL,NULL\n',
    })
    expect(response.status).toBe(400) // actors.name is NOT NULL
    expect((await response.json()).code).toBe('23502')

    const ok = await h.request('/actors?select=id,name,birth_year', {
      as: 'service',
      method: 'POST',
      headers: { 'content-type': 'text/csv', prefer: 'return=representation' },
      body: 'id,name,birth_year\r\n30,"Doe, ""JD"" Jane",1970\r\n31,"",NULL',
    })
    expect(ok.status).toBe(201)
    expect(await ok.json()).toEqual([
      { id: 30, name: 'Doe, "JD" Jane', birth_year: 1970 },
      { id: 31, name: '', birth_year: null },
    ])
  })

  it('returns the representation as CSV with Accept: text/csv', async () => {
    const response = await h.request('/directors?select=id,name', {
      as: 'service',
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/csv', prefer: 'return=representation' },
      body: JSON.stringify([{ id: 60, name: 'Ida Lupino' }]),
    })
    expect(response.status).toBe(201)
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/)
    const [, row] = (await response.text()).split('\n')
    expect(row).toBe('60,"Ida Lupino"')
  })

  it('answers PGRST102 for malformed JSON', async () => {
    const response = await h.request('/todos', {
      as: 'alice',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"title": ',
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ code: 'PGRST102' })
  })

  it('answers PGRST122 for an unknown preference with handling=strict, and ignores it when lenient', async () => {
    const strict = await h.request('/teams', {
      as: 'service',
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'handling=strict, foo, bar' },
      body: JSON.stringify({ id: 40, name: 'Wolves' }),
    })
    expect(strict.status).toBe(400)
    expect(await strict.json()).toEqual({
      code: 'PGRST122',
      message: 'Invalid preferences given with handling=strict',
      details: 'Invalid preferences: foo, bar',
      hint: null,
    })
    const lenient = await h.request('/teams', {
      as: 'service',
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'handling=lenient, foo' },
      body: JSON.stringify({ id: 40, name: 'Wolves' }),
    })
    expect(lenient.status).toBe(201)
  })

  it('PUT upserts one row addressed by its primary key', async () => {
    const created = await h.request('/teams?id=eq.50', {
      as: 'service',
      method: 'PUT',
      headers: { 'content-type': 'application/json', prefer: 'return=representation' },
      body: JSON.stringify({ id: 50, name: 'Hawks' }),
    })
    expect(created.status).toBe(200)
    expect(await created.json()).toEqual([{ id: 50, name: 'Hawks' }])
    const replaced = await h.request('/teams?id=eq.50', {
      as: 'service',
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 50, name: 'Falcons' }),
    })
    expect(replaced.status).toBe(204)
    const { rows } = await h.test.db.query('select name from teams where id = 50')
    expect(rows).toEqual([{ name: 'Falcons' }])
  })

  it('PUT requires eq filters on exactly the primary key (PGRST105)', async () => {
    const response = await h.request('/teams?name=eq.Hawks', {
      as: 'service',
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 50, name: 'Hawks' }),
    })
    expect(response.status).toBe(405)
    expect((await response.json()).code).toBe('PGRST105')
  })

  it('PUT refuses a body whose key differs from the URL (PGRST115)', async () => {
    const response = await h.request('/teams?id=eq.51', {
      as: 'service',
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 52, name: 'Owls' }),
    })
    expect(response.status).toBe(400)
    expect((await response.json()).code).toBe('PGRST115')
  })

  it('rolls back a write answered 406 for application/vnd.pgrst.object+json with several rows', async () => {
    const response = await h.request('/todos?select=id', {
      as: 'alice',
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/vnd.pgrst.object+json',
        prefer: 'return=representation',
      },
      body: JSON.stringify([{ title: 'Obj 1' }, { title: 'Obj 2' }]),
    })
    expect(response.status).toBe(406)
    expect((await response.json()).code).toBe('PGRST116')
    expect(await todoCount("title like 'Obj %'")).toBe(0)
  })

  it('PATCH with an empty object changes nothing', async () => {
    const response = await h.request('/todos?id=eq.1', {
      as: 'alice',
      method: 'PATCH',
      headers: { 'content-type': 'application/json', prefer: 'return=representation' },
      body: '{}',
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual([])
  })
})
