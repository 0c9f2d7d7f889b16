/**
 * Smoke flow of the Fastify example, booted as its server does (migrate, start, listen) on a
 * database of its own: health, sign-up, REST under RLS and a change over SSE — all through
 * `@groundwork/client`, all through `@groundwork/core/fastify`.
 */
import type { AddressInfo } from 'node:net'
import { createClient, type RealtimeChange, type RealtimeStatus } from '@groundwork/client'
import { migrate } from '@groundwork/core'
import { createTestDatabase, signTestToken, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, type ExampleApp } from '../src/app'

let database: TestDatabase
let example: ExampleApp
let url: string

beforeAll(async () => {
  database = await createTestDatabase()
  example = await createApp({
    db: database.db,
    jwtSecret: TEST_JWT_SECRET,
    publicUrl: 'http://localhost',
    autoconfirm: true,
  })
  await migrate(database.db, example.services.migrationSets)
  await example.start()
  await example.app.listen({ port: 0, host: '127.0.0.1' })
  url = `http://127.0.0.1:${(example.app.server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await example?.stop()
  await database?.drop()
})

async function until<T>(read: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const value = read()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('examples/fastify', () => {
  it('answers its own routes beside the mounted services', async () => {
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' })
    // A Groundwork 404 in its own format, not Fastify's.
    const missing = await fetch(`${url}/rest/v1/no_such_table`, {
      headers: { apikey: await signTestToken({ role: 'anon' }) },
    })
    expect(missing.status).toBe(404)
    expect(((await missing.json()) as { code: string }).code).toMatch(/^PGRST/)
  })

  it('signs up, writes under RLS and streams the change over SSE', async () => {
    const client = createClient(url, await signTestToken({ role: 'anon' }), {
      auth: { persistSession: false, autoRefreshToken: false },
    })
    const signUp = await client.auth.signUp({
      email: `fastify+${Date.now()}@example.com`,
      password: 'a long enough password',
    })
    expect(signUp.error).toBeNull()
    const userId = signUp.data.user?.id
    expect(signUp.data.session).not.toBeNull()

    const list = await client.from('lists').insert({ title: 'Fastify list' }).select().single()
    expect(list.error).toBeNull()
    expect(list.data).toMatchObject({ owner_id: userId })

    const changes: RealtimeChange[] = []
    const statuses: RealtimeStatus[] = []
    const subscription = client.realtime.subscribe(
      { table: 'todos', filter: `list_id=eq.${list.data.id}` },
      { onChange: (change) => changes.push(change), onStatus: (status) => statuses.push(status) },
    )
    await until(() => (statuses.includes('open') ? true : undefined), 'the stream')
    const todo = await client
      .from('todos')
      .insert({ list_id: list.data.id, title: 'ship it' })
      .select()
      .single()
    expect(todo.error).toBeNull()
    const change = await until(() => changes[0], 'the change')
    expect(change).toMatchObject({ type: 'INSERT', record: { title: 'ship it', created_by: userId } })
    subscription.close()
    await subscription.closed
  })
})
