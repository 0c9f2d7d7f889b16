/**
 * Input fuzz over every push endpoint — device registration, listing, deletion, topic
 * subscriptions, `POST /send`, `GET /notifications/:id`, and the dev page — with random and
 * hostile tokens, ids, topics, wrong JSON types, nesting bombs, odd paths and every kind of
 * caller. Whatever comes in, the answer is a success or a JSON `{ code, message }` 4xx, never a
 * 5xx, and nothing reaches `Object.prototype`.
 *
 * Reproduce a failure with `FUZZ_SEED=<printed seed>`; `FUZZ_RUNS` changes the count.
 */
import { randomUUID } from 'node:crypto'
import {
  createTestDatabase,
  ERROR_SHAPES,
  type FuzzCase,
  HOSTILE,
  type Rng,
  runFuzz,
  signTestToken,
  type TestDatabase,
} from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPush, devProvider, type Push } from '../src/index'
import { apnsToken, fcmToken, testAuthenticate } from './helpers'

let t: TestDatabase
let push: Push
const callers: Record<string, string>[] = [{}]
const deviceIds: string[] = []
const notificationIds: string[] = []

beforeAll(async () => {
  t = await createTestDatabase()
  push = createPush({ db: t.db, providers: [devProvider()], authenticate: testAuthenticate(), devPage: true })
  const users = [randomUUID(), randomUUID()]
  for (const claims of [
    { role: 'service_role' },
    { role: 'authenticated', sub: users[0] },
    { role: 'authenticated', sub: users[1] },
    { role: 'authenticated', sub: 'not-a-uuid' },
    { role: 'anon' },
    { role: 'postgres' },
    { role: 'authenticated', sub: users[0], test_scopes: ['read'] },
    { role: 'service_role', test_scopes: ['push:send'] },
  ]) {
    callers.push({ authorization: `Bearer ${await signTestToken(claims)}` })
  }
  callers.push({ authorization: 'Bearer not.a.jwt' }, { apikey: 'x'.repeat(5000) })
  for (const sub of users) {
    const caller = { claims: { role: 'authenticated', sub } }
    for (const [token, provider] of [
      [fcmToken(), 'fcm'],
      [apnsToken(), 'apns'],
    ] as const) {
      deviceIds.push((await push.api.devices.register(caller, { token, provider })).device.id)
    }
  }
  notificationIds.push((await push.api.send({ to: { userIds: users }, data: { a: 'b' } })).id)
})
afterAll(async () => {
  await push?.close()
  await t?.drop()
})

const STRINGS = [...HOSTILE.strings, 'x'.repeat(5000), '\ud800', 'a\u0000b', '  ', 'news', 'com.example.app']

function value(r: Rng): unknown {
  return r.pick([
    r.pick(STRINGS),
    r.int(1000) - 500,
    1e308,
    true,
    null,
    [],
    {},
    [r.pick(STRINGS)],
    { a: r.pick(STRINGS) },
    JSON.parse('{"__proto__": {"polluted": true}}'),
  ])
}

function maybe<T>(r: Rng, p: number, make: () => T): T | undefined {
  return r.chance(p) ? make() : undefined
}

function deviceBody(r: Rng): unknown {
  const provider = r.pick(['fcm', 'apns', 'webpush', 'gcm', '', 7])
  return {
    token: r.chance(0.6) ? (provider === 'apns' ? apnsToken() : fcmToken()) : value(r),
    provider,
    platform: maybe(r, 0.4, () => r.pick(['ios', 'android', 'web', 'IOS', 'x'.repeat(40), ...STRINGS])),
    environment: maybe(r, 0.3, () => r.pick(['sandbox', 'production', 'dev', 1])),
    topic: maybe(r, 0.3, () => r.pick(['com.example.app', ...STRINGS])),
    locale: maybe(r, 0.3, () => r.pick(['en', 'pt-BR', 'zh-Hant-TW', ...STRINGS])),
    app: maybe(r, 0.2, () => value(r)),
    [r.pick(['extra', '__proto__', 'constructor'])]: maybe(r, 0.2, () => value(r)),
  }
}

function sendBody(r: Rng): unknown {
  const id = () => r.pick([...deviceIds, randomUUID(), ...STRINGS])
  return {
    to: r.chance(0.9)
      ? {
          user_ids: maybe(r, 0.5, () =>
            Array.from({ length: r.int(4) }, () => r.pick([randomUUID(), ...STRINGS])),
          ),
          device_ids: maybe(r, 0.4, () => Array.from({ length: r.int(4) }, id)),
          topic: maybe(r, 0.4, () => r.pick(['news', 'sports', ...STRINGS])),
        }
      : value(r),
    notification: maybe(r, 0.6, () =>
      r.chance(0.8)
        ? {
            title: r.pick(STRINGS),
            body: r.pick(STRINGS),
            image: maybe(r, 0.3, () =>
              r.pick(['https://x.test/a.png', 'http://x.test/a.png', 'javascript:1', ...STRINGS]),
            ),
          }
        : value(r),
    ),
    data: maybe(r, 0.6, () =>
      Object.fromEntries(
        Array.from({ length: r.int(4) }, () => [
          r.pick(['k', 'from', 'google.x', 'aps', ...STRINGS]),
          r.chance(0.8) ? r.pick(STRINGS) : value(r),
        ]),
      ),
    ),
    apns: maybe(r, 0.3, () => ({
      badge: maybe(r, 0.5, () => value(r)),
      sound: maybe(r, 0.3, () => value(r)),
      push_type: maybe(r, 0.3, () => r.pick(['alert', 'background', 'voip', 'nope'])),
      content_available: maybe(r, 0.3, () => r.pick([true, false, 'yes'])),
      aps: maybe(r, 0.3, () => ({ 'interruption-level': value(r) })),
    })),
    fcm: maybe(r, 0.2, () => ({ android: value(r), fcm_options: { analytics_label: value(r) } })),
    collapse_key: maybe(r, 0.2, () => r.pick(['k', 'x'.repeat(100), ...STRINGS])),
    ttl_seconds: maybe(r, 0.2, () => r.pick([0, 60, -1, 2_419_201, 1.5, '60'])),
    priority: maybe(r, 0.2, () => r.pick(['high', 'normal', 'urgent'])),
  }
}

function body(r: Rng, make: (r: Rng) => unknown): string {
  if (r.chance(0.03)) return HOSTILE.deepJson(r.pick([40, 5000, 100_000]))
  if (r.chance(0.03)) return r.pick(['{', '[]', 'null', '"x"', ''])
  return JSON.stringify(make(r))
}

/** Percent-encodes; a lone surrogate (which encodeURIComponent refuses) becomes its invalid UTF-8 bytes. */
function encode(text: string): string {
  try {
    return encodeURIComponent(text)
  } catch {
    return '%ED%A0%80'
  }
}

function segment(r: Rng, pool: string[]): string {
  return r.chance(0.7) ? r.pick(pool) : r.pick(['%zz', '%2F', '..', encode(r.pick(STRINGS)) || 'x'])
}

function makeCase(r: Rng): FuzzCase {
  const headers = { ...r.pick(callers), ...(r.chance(0.9) ? { 'content-type': 'application/json' } : {}) }
  const kind = r.int(10)
  const id = segment(r, deviceIds)
  const topic = segment(r, ['news', 'sports', 'a:b', 'x'.repeat(300)])
  if (kind <= 2) return { method: 'POST', path: '/devices', headers, body: body(r, deviceBody) }
  if (kind === 3)
    return { method: r.pick(['GET', 'HEAD']), path: r.pick(['/devices', `/devices/${id}`]), headers }
  if (kind === 4) return { method: 'DELETE', path: `/devices/${id}`, headers }
  if (kind === 5)
    return { method: r.pick(['POST', 'DELETE']), path: `/devices/${id}/topics/${topic}`, headers }
  if (kind === 6 && r.chance(0.5)) {
    // Mostly well-formed, from a sender: exercises the accepting path (202) too.
    const valid = {
      to: r.pick([{ topic: 'news' }, { device_ids: deviceIds.slice(0, 1 + r.int(3)) }]),
      notification: {
        title: r.pick(['Hi', '😀 ünïcødé', '<b>x</b>']),
        body: r.pick(['there', 'x'.repeat(3000)]),
      },
      data: r.chance(0.5) ? { k: r.pick(STRINGS) } : undefined,
      priority: r.pick(['high', 'normal']),
    }
    return {
      method: 'POST',
      path: '/send',
      headers: { ...headers, ...(callers[1] as object) },
      body: JSON.stringify(valid),
    }
  }
  if (kind <= 7) return { method: 'POST', path: '/send', headers, body: body(r, sendBody) }
  if (kind === 8) {
    const query = r.pick([
      '',
      '?limit=5',
      '?limit=-1',
      '?limit=abc',
      '?offset=99999999999999999999',
      '?limit=10&offset=1',
    ])
    return { method: 'GET', path: `/notifications/${segment(r, notificationIds)}${query}`, headers }
  }
  return {
    method: r.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']),
    path: r.pick(['/', '/nope', '/devices/', '//devices', '/send/x', '/dev/messages', '/devices/a/b/c']),
    headers: r.chance(0.2)
      ? { ...headers, origin: 'https://x.test', 'access-control-request-method': 'POST' }
      : headers,
    body: r.chance(0.3) ? body(r, sendBody) : undefined,
  }
}

function devCase(r: Rng): FuzzCase {
  const headers = { ...r.pick(callers), ...(r.chance(0.3) ? { accept: 'text/html' } : {}) }
  return {
    method: r.pick(['GET', 'GET', 'DELETE', 'POST', 'HEAD']),
    path: r.pick([
      '/',
      '/messages',
      `/messages?limit=${r.pick(['1', '-1', 'x', '99999999999999999999'])}`,
      `/messages?user_id=${encode(r.pick([randomUUID(), ...STRINGS]))}`,
      `/messages/${segment(r, [randomUUID()])}`,
      '/nope',
    ]),
    headers,
  }
}

function send(handler: (request: Request) => Promise<Response>) {
  return (c: FuzzCase) =>
    handler(
      new Request(`http://localhost${c.path}`, {
        method: c.method,
        headers: c.headers,
        body: c.method === 'GET' || c.method === 'HEAD' ? undefined : c.body,
      }),
    )
}

describe('push input fuzz', () => {
  it('answers every endpoint with a success or a JSON 4xx, never a 5xx', async () => {
    const { seed, failures } = await runFuzz({
      name: 'push',
      runs: 1500,
      concurrency: 4,
      makeCase,
      send: send(push.handler),
      errorShape: ERROR_SHAPES.groundwork,
    })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    const shown = failures
      .slice(0, 5)
      .map((f) => ({ ...f, case: { ...f.case, body: String(f.case.body).slice(0, 300) } }))
    expect(shown, `seed ${seed} (FUZZ_SEED=${seed} to reproduce)`).toEqual([])
  }, 180_000)

  it('answers the dev page the same way', async () => {
    const { seed, failures } = await runFuzz({
      name: 'push dev page',
      runs: 300,
      makeCase: devCase,
      send: send(push.devHandler),
      errorShape: ERROR_SHAPES.groundwork,
    })
    // The page's shell is HTML by design: what a browser asking for `/` without a key gets.
    const shell = (f: (typeof failures)[number]) =>
      new URL(f.case.path, 'http://localhost').pathname === '/' &&
      f.case.headers?.accept === 'text/html' &&
      f.why === 'error body is not JSON'
    expect(failures.filter((f) => f.status >= 500 || !shell(f)).slice(0, 5), `seed ${seed}`).toEqual([])
  }, 60_000)
})
