import { createJwtAuthenticator } from '@groundwork/core'
import { createTestDatabase, signTestToken, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createRealtimeClient,
  type RealtimeChange,
  RealtimeClientError,
  type RealtimeStatus,
} from '../src/client/index'
import { createRealtime, type Realtime } from '../src/index'
import { ALICE, createTodoSchema, serve, sleep } from './helpers'

let test: TestDatabase
let psql: pg.Client
let alice: string
const authenticate = createJwtAuthenticator({ secret: TEST_JWT_SECRET })

beforeAll(async () => {
  test = await createTestDatabase()
  await createTodoSchema(test.db)
  await test.db.query(`insert into public.members values (1, $1)`, [ALICE])
  psql = new pg.Client({ connectionString: test.url })
  await psql.connect()
  alice = await signTestToken({ role: 'authenticated', sub: ALICE })
})

afterAll(async () => {
  await psql?.end()
  await test?.drop()
})

async function waitFor(check: () => boolean, timeout = 10_000) {
  const deadline = Date.now() + timeout
  while (!check()) {
    if (Date.now() > deadline) throw new Error('waitFor: timed out')
    await sleep(20)
  }
}

interface Todo {
  id: number
  list_id: number
  title: string
}

describe('@groundwork/realtime/client', () => {
  it('receives typed changes, and reconnects with Last-Event-ID by itself across a server restart', async () => {
    // One HTTP server whose realtime service is replaced, as when a process restarts behind a proxy.
    let current: Realtime = createRealtime({ db: test.db, authenticate, retryMs: 50 })
    await current.start()
    const server = await serve((request) => current.handler(request))
    const changes: RealtimeChange<Todo>[] = []
    const statuses: RealtimeStatus[] = []
    const client = createRealtimeClient({ url: server.url, token: () => alice, initialDelayMs: 50 })
    const subscription = client.subscribe<Todo>(
      { table: 'todos', filter: 'list_id=eq.1' },
      { onChange: (change) => changes.push(change), onStatus: (status) => statuses.push(status) },
    )
    try {
      await waitFor(() => statuses.includes('open'))
      await psql.query(`insert into todos (list_id, title) values (1, 'one')`)
      await waitFor(() => changes.length === 1)
      expect(changes[0]).toMatchObject({
        type: 'INSERT',
        table: 'todos',
        record: { title: 'one', list_id: 1 },
      })
      expect(subscription.lastEventId).toBe(changes[0]?.id)

      // The service goes away (every stream ends); changes keep being committed meanwhile.
      await current.close()
      await psql.query(`insert into todos (list_id, title) values (1, 'two'), (1, 'three')`)
      current = createRealtime({ db: test.db, authenticate, retryMs: 50 })
      await current.start()
      await psql.query(`insert into todos (list_id, title) values (1, 'four')`)

      await waitFor(() => changes.length === 4)
      expect(changes.map((c) => c.record?.title)).toEqual(['one', 'two', 'three', 'four'])
      expect(statuses).toContain('reconnecting')
    } finally {
      subscription.close()
      await subscription.closed
      await server.close()
      await current.close()
    }
    expect(statuses.at(-1)).toBe('closed')
  })

  it('stops on a refusal and reports it, and stops when aborted', async () => {
    const realtime = createRealtime({ db: test.db, authenticate })
    await realtime.start()
    const server = await serve(realtime.handler)
    try {
      const errors: Error[] = []
      const refused = createRealtimeClient({ url: server.url, token: alice }).subscribe(
        { table: 'todos', filter: 'nope=eq.1' },
        { onError: (error) => errors.push(error) },
      )
      await refused.closed
      expect(errors[0]).toBeInstanceOf(RealtimeClientError)
      expect(errors[0]).toMatchObject({ status: 400, code: 'REALTIME_UNKNOWN_COLUMN' })

      const controller = new AbortController()
      const statuses: RealtimeStatus[] = []
      const sub = createRealtimeClient({ url: server.url, token: alice }).subscribe(
        { table: 'todos' },
        { onStatus: (status) => statuses.push(status) },
        { signal: controller.signal },
      )
      await waitFor(() => statuses.includes('open'))
      controller.abort()
      await sub.closed
      expect(statuses.at(-1)).toBe('closed')
    } finally {
      await server.close()
      await realtime.close()
    }
  })
})
