/**
 * Input fuzz for the realtime handler: random and malformed stream requests (schemas, tables,
 * events, Supabase-syntax filters, `subscriptions`/`channels` JSON, resume ids, tokens), broadcast
 * bodies and admin calls. Whatever comes in, the answer is a stream (closed at once here) or a
 * JSON `{ code, message }` 4xx: never a 5xx.
 *
 * Reproduce a failure with `FUZZ_SEED=<printed seed>`; `FUZZ_RUNS` changes the count.
 */
import { createJwtAuthenticator } from '@groundwork/core'
import {
  createTestDatabase,
  ERROR_SHAPES,
  type FuzzCase,
  HOSTILE,
  type Rng,
  runFuzz,
  signTestToken,
  TEST_JWT_SECRET,
  type TestDatabase,
} from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRealtime, type Realtime } from '../src/index'
import { ALICE, createTodoSchema, serve } from './helpers'

let test: TestDatabase
let realtime: Realtime
let server: Awaited<ReturnType<typeof serve>>
let tokens: string[] = []

beforeAll(async () => {
  test = await createTestDatabase()
  await createTodoSchema(test.db)
  await test.db.query(`insert into public.members values (1, $1)`, [ALICE])
  realtime = createRealtime({
    db: test.db,
    authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
    basePath: '/realtime/v1',
  })
  await realtime.start()
  server = await serve(realtime.handler)
  tokens = [
    await signTestToken({ role: 'authenticated', sub: ALICE }),
    await signTestToken({ role: 'service_role' }),
    await signTestToken({ role: 'anon' }),
    await signTestToken({ role: 'no_such_role' }),
    await signTestToken({ role: 'authenticated', sub: 'not-a-uuid' }),
    'not.a.jwt',
  ]
})

afterAll(async () => {
  await server?.close()
  await realtime?.close()
  await test?.drop()
})

const SCHEMAS = ['public', 'realtime', 'auth', 'pg_catalog', 'nope', '', 'Public', '"public"', 'x'.repeat(70)]
const TABLES = ['todos', 'lists', 'members', 'changes', 'nope', '', 'Todos', 'todos;drop', 'x'.repeat(70)]
const EVENTS = ['*', 'INSERT', 'UPDATE', 'DELETE', 'insert', 'TRUNCATE', '', 'INSERT,UPDATE']
const COLUMNS = ['list_id', 'id', 'title', 'done', 'priority', 'nope', '', 'list_id)', '"id"', 'tit le']
const OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'is', 'like', 'fts', '', 'EQ']
const VALUES = [
  '5',
  '1',
  '-1',
  '1e400',
  'abc',
  '',
  'null',
  'true',
  'not_null',
  '(1,2,3)',
  '(1,',
  '()',
  "1'; --",
  '😀',
]

function filter(r: Rng): string {
  if (r.chance(0.1)) return r.pick(['', '=', 'list_id', 'list_id=', 'list_id=eq', '=eq.1', '%zz'])
  return `${r.pick(COLUMNS)}=${r.pick(OPS)}.${r.pick(VALUES)}`
}

function subscription(r: Rng): unknown {
  if (r.chance(0.1)) return r.pick([null, 1, 'todos', [], {}])
  const out: Record<string, unknown> = { table: r.chance(0.9) ? r.pick(TABLES) : r.int(5) }
  if (r.chance(0.5)) out.schema = r.pick(SCHEMAS)
  if (r.chance(0.5)) out.event = r.pick(EVENTS)
  if (r.chance(0.6)) out.filter = r.chance(0.9) ? filter(r) : 42
  return out
}

function channel(r: Rng): unknown {
  if (r.chance(0.1)) return r.pick([null, 'room', {}, { topic: '' }])
  const out: Record<string, unknown> = {
    topic: r.pick(['room:1', 'room:2', '', 'x'.repeat(300), '😀', ...HOSTILE.strings]),
  }
  if (r.chance(0.4))
    out.presence = r.chance(0.8) ? { key: r.pick(['u1', '', 'k']), state: { n: r.int(9) } } : 'x'
  return out
}

/**
 * A nesting bomb past the depth limit but under the 64 KiB size limit: a body past the size limit
 * is answered 413 before it is all sent and the connection closed, which a pooled HTTP client
 * may see as ECONNRESET (test/limits.test.ts checks 413 over a real server).
 */
function deepJson(r: Rng): string {
  return HOSTILE.deepJson(r.pick([200, 20_000]))
}

function makeCase(r: Rng): FuzzCase {
  const headers: Record<string, string> = {}
  if (r.chance(0.85)) headers.authorization = `Bearer ${r.pick(tokens)}`
  if (r.chance(0.15)) headers['last-event-id'] = r.pick(['0', '1', '-1', 'abc', '99999999999999999999', ''])
  const kind = r.int(10)
  if (kind <= 5) {
    const params = new URLSearchParams()
    if (r.chance(0.8)) params.set('table', r.pick(TABLES))
    if (r.chance(0.4)) params.set('schema', r.pick(SCHEMAS))
    if (r.chance(0.4)) params.set('event', r.pick(EVENTS))
    if (r.chance(0.5)) params.set('filter', filter(r))
    if (r.chance(0.15))
      params.set('subscriptions', r.chance(0.8) ? JSON.stringify([subscription(r), subscription(r)]) : '[{')
    if (r.chance(0.15)) params.append('channel', r.pick(['room:1', '', 'x'.repeat(300), ...HOSTILE.strings]))
    if (r.chance(0.1)) params.set('channels', r.chance(0.8) ? JSON.stringify([channel(r)]) : 'nope')
    if (r.chance(0.05)) params.set('token', r.pick(tokens))
    if (r.chance(0.05)) params.set('last_event_id', r.pick(['5', 'x']))
    const method = r.chance(0.9) ? 'GET' : r.pick(['PUT', 'DELETE'])
    return { method, path: `/realtime/v1/stream?${params}`, headers, body: undefined }
  }
  if (kind === 6) {
    headers['content-type'] = 'application/json'
    const body = r.chance(0.9)
      ? JSON.stringify({
          subscriptions: [subscription(r)],
          channels: r.chance(0.5) ? [channel(r)] : undefined,
        })
      : r.pick(['{', '[]', 'null', '"x"', deepJson(r)])
    return { method: 'POST', path: '/realtime/v1/stream', headers, body }
  }
  if (kind === 7) {
    headers['content-type'] = 'application/json'
    const body = r.chance(0.9)
      ? JSON.stringify({
          topic: r.pick(['room:1', '', 5, null, ...HOSTILE.strings]),
          event: r.pick(['msg', '', 7, ...HOSTILE.strings]),
          payload: r.pick([{ a: 1 }, 'x', null, [1], ...HOSTILE.strings]),
        })
      : r.pick(['{', deepJson(r)])
    return { method: r.chance(0.9) ? 'POST' : 'GET', path: '/realtime/v1/broadcast', headers, body }
  }
  headers['content-type'] = 'application/json'
  const route = r.pick([
    ['GET', '/realtime/v1/tables', undefined],
    [
      'POST',
      '/realtime/v1/tables',
      JSON.stringify({ table: r.pick(['public.todos', 'public.nope', '', 'x.y.z', 7, ...HOSTILE.strings]) }),
    ],
    ['DELETE', `/realtime/v1/tables/${r.pick(['public.nope', '%zz', 'public.lists', ''])}`, undefined],
    ['POST', '/realtime/v1/prune', JSON.stringify({ olderThanMs: r.pick([1, -1, 'x', 1e20]) })],
    ['GET', '/realtime/v1/nope', undefined],
  ] as const)
  return { method: route[0], path: route[1], headers, body: route[2] }
}

/** Sends over HTTP; a stream that opened is closed at once (its status is the answer). */
async function send(c: FuzzCase): Promise<Response> {
  const controller = new AbortController()
  const response = await fetch(`${server.url}${c.path}`, {
    method: c.method,
    headers: c.headers,
    body: c.method === 'GET' ? undefined : c.body,
    signal: controller.signal,
  })
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
    controller.abort()
    return new Response(null, { status: response.status })
  }
  return response
}

describe('realtime input fuzz', () => {
  it('answers random and malformed requests with a stream or a JSON 4xx, never a 5xx', async () => {
    const { seed, failures } = await runFuzz({
      name: 'realtime',
      runs: 2000,
      concurrency: 6,
      makeCase,
      send,
      errorShape: ERROR_SHAPES.groundwork,
    })
    const shown = failures
      .slice(0, 5)
      .map((f) => ({ ...f, case: { ...f.case, body: String(f.case.body).slice(0, 300) } }))
    expect(shown, `seed ${seed} (FUZZ_SEED=${seed} to reproduce)`).toEqual([])
  }, 180_000)
})
