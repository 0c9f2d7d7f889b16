// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are read loosely in these assertions.
/**
 * The admin HTTP API: who may call it, the JSON it takes and returns, the SSRF guard on endpoint
 * URLs, streamed body limits, the audit trail, and an input fuzz over every route.
 */
import { randomUUID } from 'node:crypto'
import { createJwtAuthenticator } from '@groundwork/core'
import {
  createTestDatabase,
  ERROR_SHAPES,
  type FuzzCase,
  HOSTILE,
  postOversizeBody,
  type Rng,
  requestHandler,
  runFuzz,
  signTestToken,
  TEST_JWT_SECRET,
  type TestDatabase,
} from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWebhooks, type Webhooks } from '../src/index'

let t: TestDatabase
let webhooks: Webhooks
let strict: Webhooks
let service: Record<string, string>
let user: Record<string, string>

beforeAll(async () => {
  t = await createTestDatabase()
  await t.db.query('create table public.orders (id bigint primary key, status text)')
  await t.db.query('create table public.nopk (a int)')
  const authenticate = createJwtAuthenticator({ secret: TEST_JWT_SECRET })
  webhooks = createWebhooks({ db: t.db, authenticate, allowHosts: ['127.0.0.1'] })
  strict = createWebhooks({ db: t.db, authenticate })
  service = { authorization: `Bearer ${await signTestToken({ role: 'service_role' })}` }
  user = { authorization: `Bearer ${await signTestToken({ role: 'authenticated', sub: randomUUID() })}` }
})
afterAll(async () => {
  await webhooks?.close()
  await strict?.close()
  await t?.drop()
})

const json = (body: unknown, headers: Record<string, string> = service) => ({
  headers: { ...headers, 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

describe('webhooks admin API', () => {
  it('needs the service role or an admin key', async () => {
    expect((await requestHandler(webhooks.handler, '/')).status).toBe(401)
    const forbidden = await requestHandler(webhooks.handler, '/', { headers: user })
    expect(forbidden.status).toBe(403)
    expect(await forbidden.json()).toMatchObject({ code: 'WEBHOOKS_FORBIDDEN' })
  })

  it('creates, reads, updates and deletes an endpoint in snake_case JSON', async () => {
    const created = await requestHandler(webhooks.handler, '/', {
      method: 'POST',
      ...json({
        url: 'http://127.0.0.1:9/hook',
        table: 'public.orders',
        events: ['INSERT', 'DELETE'],
        filter: 'status=eq.paid',
        headers: { authorization: 'Bearer receiver-token' },
        max_concurrency: 4,
      }),
    })
    expect(created.status).toBe(201)
    const endpoint = (await created.json()) as Record<string, any>
    expect(endpoint).toMatchObject({
      url: 'http://127.0.0.1:9/hook',
      table: 'public.orders',
      events: ['INSERT', 'DELETE'],
      filter: 'status=eq.paid',
      enabled: true,
      max_concurrency: 4,
    })
    expect(endpoint.secret.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/)
    expect(endpoint.secrets).toHaveLength(1)
    expect(endpoint.secrets[0].secret).toBeUndefined()

    const listed = (await (await requestHandler(webhooks.handler, '/', { headers: service })).json()) as any
    expect(listed.items.map((e: { id: string }) => e.id)).toContain(endpoint.id)

    const patched = await requestHandler(webhooks.handler, `/${endpoint.id}`, {
      method: 'PATCH',
      ...json({ enabled: false, events: ['UPDATE'] }),
    })
    expect(await patched.json()).toMatchObject({
      enabled: false,
      events: ['UPDATE'],
      disabled_reason: 'disabled by an admin',
    })

    const rotated = await requestHandler(webhooks.handler, `/${endpoint.id}/secrets`, {
      method: 'POST',
      ...json({ type: 'v1a', previous_expires_in: 3600 }),
    })
    expect(rotated.status).toBe(201)
    const secret = (await rotated.json()) as Record<string, any>
    expect(secret).toMatchObject({ type: 'v1a' })
    expect(secret.public_key).toMatch(/^whpk_/)
    expect(secret.secret).toMatch(/^whsk_/)
    const withBoth = (await (
      await requestHandler(webhooks.handler, `/${endpoint.id}`, { headers: service })
    ).json()) as any
    expect(withBoth.secrets).toHaveLength(2)
    expect(withBoth.secrets[0].expires_at).not.toBeNull()

    const test = await requestHandler(webhooks.handler, `/${endpoint.id}/test`, {
      method: 'POST',
      headers: service,
    })
    expect(test.status).toBe(202)
    const deliveries = (await (
      await requestHandler(webhooks.handler, `/${endpoint.id}/deliveries`, { headers: service })
    ).json()) as any
    expect(deliveries.items[0]).toMatchObject({ event_type: 'webhook.test', status: 'pending', attempts: 0 })
    expect(deliveries.items[0].event_id).toMatch(/^msg_/)

    // The audit log records the admin actions, with the actor, and no secret.
    const { rows } = await t.db.query<{ payload: Record<string, any> }>(
      `select payload from auth.audit_log_entries where payload->>'log_type' = 'webhooks' order by created_at`,
    )
    expect(rows.map((r) => r.payload.action)).toEqual(
      expect.arrayContaining([
        'webhooks.endpoint_created',
        'webhooks.endpoint_updated',
        'webhooks.secret_rotated',
        'webhooks.test_sent',
      ]),
    )
    const text = JSON.stringify(rows)
    expect(text).not.toContain(endpoint.secret.secret)
    expect(text).not.toContain('receiver-token')
    expect(rows[0]?.payload.actor_username).toBe('service_role')

    expect(
      (await requestHandler(webhooks.handler, `/${endpoint.id}`, { method: 'DELETE', headers: service }))
        .status,
    ).toBe(204)
    expect((await requestHandler(webhooks.handler, `/${endpoint.id}`, { headers: service })).status).toBe(404)
  })

  it('refuses private, loopback and link-local targets unless the host is allowed', async () => {
    for (const url of [
      'http://127.0.0.1/hook',
      'http://localhost:8080/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://10.0.0.5/',
      'http://192.168.1.1/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[fd00::1]/',
      'http://0.0.0.0/',
      'ftp://example.com/',
      'http://user:pass@example.com/',
    ]) {
      const response = await requestHandler(strict.handler, '/', {
        method: 'POST',
        ...json({ url, table: 'orders' }),
      })
      expect(response.status, url).toBe(400)
      expect(await response.json()).toMatchObject({ code: 'WEBHOOKS_INVALID_ENDPOINT' })
    }
    // A public host name is accepted when stored; its addresses are checked at connection time.
    const ok = await strict.api.create({ url: 'https://hooks.example.com/x', table: 'orders' })
    expect(ok.url).toBe('https://hooks.example.com/x')
    await strict.api.delete(ok.id)
  })

  it('refuses bad tables, events, filters and headers with 400', async () => {
    for (const [body, code] of [
      [{ url: 'http://127.0.0.1/', table: 'public.missing' }, 'WEBHOOKS_INVALID_TABLE'],
      [{ url: 'http://127.0.0.1/', table: 'nopk' }, 'WEBHOOKS_INVALID_TABLE'],
      [{ url: 'http://127.0.0.1/', table: 'a.b.c' }, 'WEBHOOKS_INVALID_TABLE'],
      [{ url: 'http://127.0.0.1/', table: 'orders', events: ['TRUNCATE'] }, 'WEBHOOKS_INVALID_ENDPOINT'],
      [{ url: 'http://127.0.0.1/', table: 'orders', events: [] }, 'WEBHOOKS_INVALID_ENDPOINT'],
      [{ url: 'http://127.0.0.1/', table: 'orders', filter: 'status=like.x' }, 'WEBHOOKS_INVALID_ENDPOINT'],
      [
        { url: 'http://127.0.0.1/', table: 'orders', headers: { 'webhook-id': 'x' } },
        'WEBHOOKS_INVALID_ENDPOINT',
      ],
      [
        { url: 'http://127.0.0.1/', table: 'orders', headers: { 'x-a': 'a\r\nb: c' } },
        'WEBHOOKS_INVALID_ENDPOINT',
      ],
      [{ url: 'http://127.0.0.1/', table: 'orders', extra: 1 }, 'HTTP_INVALID_BODY'],
    ] as const) {
      const response = await requestHandler(webhooks.handler, '/', { method: 'POST', ...json(body) })
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(await response.json()).toMatchObject({ code })
    }
    const { rows } = await t.db.query('select 1 from realtime.published where table_name = $1', ['nopk'])
    expect(rows).toHaveLength(0)
  })

  it('will not delete the last active secret', async () => {
    const endpoint = await webhooks.api.create({ url: 'http://127.0.0.1/', table: 'orders' })
    const response = await requestHandler(webhooks.handler, `/${endpoint.id}/secrets/${endpoint.secret.id}`, {
      method: 'DELETE',
      headers: service,
    })
    expect(response.status).toBe(409)
    expect(await response.json()).toMatchObject({ code: 'WEBHOOKS_LAST_SECRET' })
    await webhooks.api.delete(endpoint.id)
  })

  it('answers an oversize body with 413 while streaming', async () => {
    const result = await postOversizeBody({
      handler: webhooks.handler,
      path: '/',
      headers: service,
      limit: 64 * 1024,
    })
    expect(result.status).toBe(413)
    expect(result.body).toMatchObject({ code: 'HTTP_PAYLOAD_TOO_LARGE' })
    expect(result.rssGrowth).toBeLessThan(20 * 1024 * 1024)
  })
})

const STRINGS = [
  ...HOSTILE.strings,
  'x'.repeat(5000),
  '\ud800',
  'a\u0000b',
  'orders',
  'public.orders',
  'INSERT',
]
const endpointIds: string[] = []

function value(r: Rng): unknown {
  return r.pick([
    r.pick(STRINGS),
    r.int(2000) - 500,
    1e308,
    true,
    null,
    [],
    {},
    [r.pick(STRINGS)],
    { a: r.pick(STRINGS) },
  ])
}

function maybe<T>(r: Rng, p: number, make: () => T): T | undefined {
  return r.chance(p) ? make() : undefined
}

function endpointBody(r: Rng): unknown {
  return {
    url: r.chance(0.6)
      ? r.pick([
          'http://127.0.0.1:9/h',
          'https://example.com/h',
          'http://169.254.169.254/',
          'javascript:alert(1)',
        ])
      : value(r),
    table: r.chance(0.7) ? r.pick(['orders', 'public.orders', 'nopk', 'x.y', '"odd"."name"']) : value(r),
    events: maybe(r, 0.6, () =>
      r.chance(0.7) ? r.pick([['INSERT'], ['insert', 'UPDATE'], ['DELETE', 'DELETE'], ['X']]) : value(r),
    ),
    filter: maybe(r, 0.4, () =>
      r.pick(['status=eq.a', 'id=in.(1,2)', 'x=is.maybe', 'a', '=eq.', ...STRINGS]),
    ),
    headers: maybe(r, 0.3, () =>
      r.chance(0.7) ? { [r.pick(['x-a', 'Host', 'bad name', ...STRINGS])]: value(r) } : value(r),
    ),
    enabled: maybe(r, 0.3, () => value(r)),
    ordered: maybe(r, 0.2, () => r.pick([true, false, 'yes'])),
    max_concurrency: maybe(r, 0.2, () => r.pick([1, 0, 1001, 2.5, '3'])),
    secret_type: maybe(r, 0.2, () => r.pick(['v1', 'v1a', 'v2'])),
  }
}

function body(r: Rng): string {
  if (r.chance(0.03)) return HOSTILE.deepJson(r.pick([40, 5000, 100_000]))
  if (r.chance(0.03)) return r.pick(['{', '[]', 'null', '"x"', ''])
  return JSON.stringify(endpointBody(r))
}

function segment(r: Rng, pool: string[]): string {
  return r.chance(0.7) && pool.length > 0
    ? r.pick(pool)
    : r.pick(['%zz', '%2F', '..', 'x', randomUUID(), '99999999999999999999'])
}

describe('webhooks admin input fuzz', () => {
  it('answers every route with a success or a JSON 4xx, never a 5xx', async () => {
    for (let i = 0; i < 3; i++) {
      endpointIds.push((await webhooks.api.create({ url: 'http://127.0.0.1:9/', table: 'orders' })).id)
    }
    const callers = [{}, service, user, { authorization: 'Bearer not.a.jwt' }]
    const makeCase = (r: Rng): FuzzCase => {
      const headers = { ...(r.chance(0.8) ? service : r.pick(callers)), 'content-type': 'application/json' }
      const id = segment(r, endpointIds)
      const kind = r.int(9)
      if (kind <= 1) return { method: 'POST', path: '/', headers, body: body(r) }
      if (kind === 2) return { method: 'PATCH', path: `/${id}`, headers, body: body(r) }
      if (kind === 3) return { method: r.pick(['GET', 'DELETE']), path: `/${id}`, headers }
      if (kind === 4)
        return {
          method: 'POST',
          path: `/${id}/secrets`,
          headers,
          body: JSON.stringify({ type: value(r), previous_expires_in: value(r) }),
        }
      if (kind === 5) return { method: 'DELETE', path: `/${id}/secrets/${segment(r, [])}`, headers }
      if (kind === 6)
        return {
          method: 'GET',
          path: `/${id}/deliveries${r.pick(['', '?limit=0', '?limit=x', '?status=nope', '?before=1', '?before=x', '?status=failed'])}`,
          headers,
        }
      if (kind === 7)
        return {
          method: 'POST',
          path: r.pick([`/${id}/test`, `/${id}/deliveries/${segment(r, ['1'])}/redeliver`]),
          headers,
        }
      return {
        method: r.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']),
        path: r.pick(['/', '/nope', '//', `/${id}/x/y/z`, '/?table=a.b']),
        headers,
        body: r.chance(0.3) ? body(r) : undefined,
      }
    }
    const { seed, failures } = await runFuzz({
      name: 'webhooks',
      runs: 1000,
      concurrency: 4,
      makeCase,
      send: (c) =>
        webhooks.handler(
          new Request(`http://localhost${c.path}`, {
            method: c.method,
            headers: c.headers,
            body: c.method === 'GET' || c.method === 'HEAD' ? undefined : c.body,
          }),
        ),
      errorShape: ERROR_SHAPES.groundwork,
    })
    const shown = failures
      .slice(0, 5)
      .map((f) => ({ ...f, case: { ...f.case, body: String(f.case.body).slice(0, 300) } }))
    expect(shown, `seed ${seed} (FUZZ_SEED=${seed} to reproduce)`).toEqual([])
  }, 180_000)
})
