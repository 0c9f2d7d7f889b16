/**
 * Row-level security decides what each caller sees and changes: anon (no grant on private
 * tables → 401), authenticated users (Supabase-style policies on auth.uid() and list membership),
 * and service_role (BYPASSRLS). Also the JWT failure answers.
 *
 * @see https://docs.postgrest.org/en/v12/references/auth.html
 * @see https://supabase.com/docs/guides/database/postgres/row-level-security
 */
import { signTestToken } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RestHarness, startRest, USERS } from './support/server'

let h: RestHarness
beforeAll(async () => {
  h = await startRest()
})
afterAll(async () => {
  await h?.close()
})

async function todoIds(client: RestHarness['alice']): Promise<number[]> {
  const { data, error } = await client.from('todos').select('id').order('id')
  expect(error).toBeNull()
  return (data ?? []).map((r: { id: number }) => r.id)
}

describe('reads under RLS', () => {
  it('anon may not read todos at all: 401 with WWW-Authenticate', async () => {
    const { error, status } = await h.anon.from('todos').select('*')
    expect(status).toBe(401)
    expect(error?.code).toBe('42501')
    const raw = await h.request('/todos')
    expect(raw.headers.get('www-authenticate')).toMatch(/^Bearer/)
  })

  it('each user sees own todos and those of lists shared with them', async () => {
    expect(await todoIds(h.alice)).toEqual([1, 2, 3, 4])
    expect(await todoIds(h.bob)).toEqual([3, 4, 5])
    expect(await todoIds(h.carol)).toEqual([6])
  })

  it('service_role sees everything', async () => {
    expect(await todoIds(h.service)).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('policies apply inside embeds', async () => {
    const { data, error } = await h.bob
      .from('lists')
      .select('id, todos(id)')
      .order('id')
      .order('id', { referencedTable: 'todos' })
    expect(error).toBeNull()
    expect(data).toEqual([
      { id: 2, todos: [{ id: 3 }, { id: 4 }] },
      { id: 3, todos: [{ id: 5 }] },
    ])
  })

  it('counts only visible rows', async () => {
    const { count } = await h.carol.from('todos').select('*', { count: 'exact', head: true })
    expect(count).toBe(1)
  })

  it('a view with security_invoker keeps the base table policies', async () => {
    const { data } = await h.carol.from('open_todos').select('id')
    expect(data).toEqual([{ id: 6 }])
  })

  it('public reference data is readable by anon', async () => {
    const { data } = await h.anon.from('films').select('id', { count: 'exact' })
    expect(data).toHaveLength(5)
  })
})

describe('writes under RLS', () => {
  it('a user cannot change another user profile (0 rows), but can change their own', async () => {
    const other = await h.alice.from('profiles').update({ bio: 'pwned' }).eq('id', USERS.bob).select()
    expect(other.error).toBeNull()
    expect(other.data).toEqual([])
    const own = await h.alice.from('profiles').update({ bio: 'Hi' }).eq('id', USERS.alice).select('bio')
    expect(own.data).toEqual([{ bio: 'Hi' }])
  })

  it('the owner default comes from auth.uid()', async () => {
    const { data, error } = await h.carol
      .from('lists')
      .insert({ title: 'Carol list' })
      .select('owner_id')
      .single()
    expect(error).toBeNull()
    expect(data).toEqual({ owner_id: USERS.carol })
  })

  it('a viewer-only member cannot add todos to a list', async () => {
    await h.alice.from('list_members').insert({ list_id: 1, user_id: USERS.carol, role: 'viewer' })
    expect(await todoIds(h.carol)).toEqual([1, 2, 6])
    const { error, status } = await h.carol.from('todos').insert({ title: 'viewer write', list_id: 1 })
    expect(status).toBe(403)
    expect(error?.code).toBe('42501')
  })
})

describe('Prefer: tx without override (txEnd: commit)', () => {
  it('ignores tx=rollback: the write is committed and tx is not in Preference-Applied', async () => {
    const response = await h.request('/todos', {
      as: 'alice',
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'tx=rollback, return=minimal' },
      body: JSON.stringify({ title: 'Committed anyway' }),
    })
    expect(response.status).toBe(201)
    expect(response.headers.get('preference-applied') ?? '').not.toContain('tx=')
    const { rows } = await h.test.db.query(
      "select count(*)::int as n from todos where title = 'Committed anyway'",
    )
    expect(rows[0]?.n).toBe(1)
  })
})

describe('authentication failures', () => {
  it('an expired token answers 401 PGRST303', async () => {
    const token = await signTestToken({ role: 'authenticated', sub: USERS.alice }, { expiresIn: -60 })
    const response = await h.request('/films', { headers: { authorization: `Bearer ${token}` } })
    expect(response.status).toBe(401)
    expect((await response.json()).code).toBe('PGRST303')
  })

  it('a token with a bad signature answers 401 PGRST301', async () => {
    const token = await signTestToken(
      { role: 'service_role' },
      { secret: 'another-secret-that-is-at-least-32-chars' },
    )
    const response = await h.request('/films', { headers: { authorization: `Bearer ${token}` } })
    expect(response.status).toBe(401)
    expect((await response.json()).code).toBe('PGRST301')
  })
})
