/**
 * Observability against a real Postgres: Prometheus metrics that parse and move, readiness that
 * fails when its connection is terminated and recovers, structured logs with request ids and no
 * secrets, spans around handlers and SQL through @opentelemetry/api, and the audit helper.
 */
import { Writable } from 'node:stream'
import { createTestDatabase, requestHandler, signTestToken, type TestDatabase } from '@groundwork/testing'
import { context, type Span, SpanKind, type Tracer, type TracerProvider, trace } from '@opentelemetry/api'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import pino from 'pino'
import * as promClient from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  migrations as coreMigrations,
  createDatabase,
  createHealth,
  createMetrics,
  type Database,
  loadOpenTelemetry,
  observe,
  recordAudit,
  structuredLogger,
  traceSql,
} from '../src/index'
import { json, serveRoutes } from '../src/kit/index'

let t: TestDatabase

beforeAll(async () => {
  t = await createTestDatabase()
})
afterAll(async () => {
  await t?.drop()
})

const handler = serveRoutes({
  routes: [
    { method: 'GET', path: '/items/:id', handler: async ({ params }) => ({ id: params.id }) },
    {
      method: 'GET',
      path: '/limited',
      handler: async () => json({ code: 'RATE', message: 'slow down' }, 429),
    },
  ],
})

type Sample = { name: string; metrics: { labels?: Record<string, string>; value?: string; count?: string }[] }

describe('metrics', () => {
  it('serve Prometheus text that parses, and move when requests are made', async () => {
    const metrics = createMetrics({ client: promClient })
    metrics.watchDatabase(t.db)
    const observed = observe(handler, { service: 'demo', metrics })
    const scrape = async () => {
      const response = await metrics.handler(new Request('http://x/metrics'))
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/)
      return parsePrometheusTextFormat(await response.text()) as Sample[]
    }
    const count = (families: Sample[], route: string, status: string) =>
      Number(
        families
          .find((f) => f.name === 'groundwork_http_requests_total')
          ?.metrics.find((m) => m.labels?.route === route && m.labels?.status === status)?.value ?? 0,
      )
    const before = await scrape()
    expect(count(before, '/items/:id', '200')).toBe(0)
    for (let i = 0; i < 3; i++) await observed(new Request(`http://x/items/${i}`))
    await observed(new Request('http://x/limited'))
    await observed(new Request('http://x/nope'))
    const after = await scrape()
    // Route patterns, not raw paths: bounded cardinality.
    expect(count(after, '/items/:id', '200')).toBe(3)
    expect(count(after, '/nope', '404')).toBe(1)
    const refusals = after.find((f) => f.name === 'groundwork_rate_limit_refusals_total')
    expect(refusals?.metrics[0]).toMatchObject({ labels: { service: 'demo' }, value: '1' })
    expect(after.find((f) => f.name === 'groundwork_http_request_duration_seconds')).toMatchObject({
      type: 'HISTOGRAM',
    })
    const text = await (await metrics.handler(new Request('http://x/metrics'))).text()
    expect(text).toMatch(
      /^groundwork_http_request_duration_seconds_count\{[^}]*route="\/items\/:id"[^}]*\} 3$/m,
    )
    const pool = after.find((f) => f.name === 'groundwork_db_pool_connections')
    expect(pool?.metrics.map((m) => m.labels?.state).sort()).toEqual(['idle', 'total', 'waiting'])
    await t.db.query(`select graphile_worker.add_job('noop', '{}'::json)`)
    const jobs = (await scrape()).find((f) => f.name === 'groundwork_jobs')
    expect(jobs?.metrics.find((m) => m.labels?.state === 'queued')?.value).toBe('1')
    metrics.recordWebhookDelivery('delivered', 0.01)
    const attempts = (await scrape()).find((f) => f.name === 'groundwork_webhook_delivery_attempts_total')
    expect(attempts?.metrics[0]).toMatchObject({ labels: { outcome: 'delivered' }, value: '1' })
  })

  it('refuse to start without prom-client, naming the option', () => {
    expect(() => createMetrics({} as never)).toThrow(/createMetrics\.client/)
  })
})

describe('health', () => {
  it('/ready goes not-ready when its connection is terminated, and recovers', async () => {
    const health = createHealth({
      db: t.db,
      migrations: [coreMigrations],
      checks: { runner: () => true },
      reconnectDelay: 300,
    })
    try {
      expect((await requestHandler(health.handler, '/')).status).toBe(200)
      const ready = await requestHandler(health.handler, '/ready')
      expect(ready.status).toBe(200)
      expect(await ready.json()).toMatchObject({
        status: 'ready',
        checks: { database: { ok: true }, migrations: { ok: true } },
      })
      const { rows } = await t.db.query<{ n: number }>(
        `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
          where application_name = 'groundwork-health' and datname = current_database()`,
      )
      expect(rows[0]?.n).toBe(1)
      const down = await requestHandler(health.handler, '/ready')
      expect(down.status).toBe(503)
      expect(await down.json()).toMatchObject({ status: 'not_ready', checks: { database: { ok: false } } })
      await new Promise((resolve) => setTimeout(resolve, 350))
      const back = await requestHandler(health.handler, '/ready')
      expect(back.status).toBe(200)
    } finally {
      await health.close()
    }
  })

  it('reports missing migrations and failing host checks', async () => {
    const health = createHealth({
      db: t.db,
      migrations: [{ name: 'not-applied', migrations: [{ id: 1, name: '0001_x', sql: '' }] }],
      checks: { jobs: () => false },
    })
    try {
      const response = await requestHandler(health.handler, '/ready')
      expect(response.status).toBe(503)
      expect(await response.json()).toMatchObject({
        checks: { database: { ok: true }, migrations: { ok: false }, jobs: { ok: false } },
      })
    } finally {
      await health.close()
    }
  })
})

describe('structured logs', () => {
  it('carry the request id on every line and response, honour an incoming one, and never a secret', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean))
        done()
      },
    })
    const logger = structuredLogger(pino({ level: 'debug' }, sink))
    const token = await signTestToken({ role: 'service_role', sub: 'someone' })
    const secret = 'whsec_c2VjcmV0LXNpZ25pbmcta2V5LWJ5dGVzLTMyYnl0ZXM='
    const db: Database = createDatabase({ connectionString: t.url, logger })
    try {
      const inner = serveRoutes({
        routes: [
          {
            method: 'POST',
            path: '/echo',
            handler: async ({ request }) => {
              logger.info('handling', {
                authorization: request.headers.get('authorization'),
                note: `token ${token}`,
              })
              logger.warn(`calling https://user:hunter2@example.com/?token=${token} with ${secret}`)
              await db.query('select 1')
              return { ok: true }
            },
          },
        ],
      })
      const observed = observe(inner, { service: 'demo', logger })
      const first = await observed(
        new Request('http://x/echo?apikey=' + token, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
        }),
      )
      const id = first.headers.get('x-request-id')
      expect(id).toMatch(/^[0-9a-f-]{36}$/)
      const second = await observed(
        new Request('http://x/echo', {
          method: 'POST',
          headers: { 'x-request-id': 'req-42', apikey: token },
        }),
      )
      expect(second.headers.get('x-request-id')).toBe('req-42')
      const bad = await observed(
        new Request('http://x/echo', { method: 'POST', headers: { 'x-request-id': 'a b\u0007' } }),
      )
      expect(bad.headers.get('x-request-id')).not.toBe('a b\u0007')
      const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
      expect(parsed.length).toBeGreaterThanOrEqual(9)
      for (const line of parsed) expect(line.request_id).toBeTypeOf('string')
      expect(parsed.filter((line) => line.request_id === id)).toHaveLength(3)
      expect(parsed.filter((line) => line.request_id === 'req-42')).toHaveLength(3)
      const all = lines.join('\n')
      expect(all).not.toContain(token)
      expect(all).not.toContain(token.split('.')[1] as string)
      expect(all).not.toContain(secret)
      expect(all).not.toContain('hunter2')
    } finally {
      await db.close()
    }
  })
})

/** A TracerProvider that records spans (no SDK): enough to see what Groundwork opens. */
function recordingProvider(
  spans: { name: string; kind: number; parent?: string; attributes: Record<string, unknown> }[],
): TracerProvider {
  const tracer: Tracer = {
    startSpan(name, options = {}, ctx = context.active()) {
      const parent = trace.getSpan(ctx) as (Span & { __name?: string }) | undefined
      const record = {
        name,
        kind: options.kind ?? SpanKind.INTERNAL,
        parent: parent?.__name,
        attributes: { ...options.attributes },
      }
      spans.push(record)
      const span = {
        __name: name,
        spanContext: () => ({ traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 1 }),
        setAttribute(key: string, value: unknown) {
          record.attributes[key] = value
          return span
        },
        setAttributes: () => span,
        addEvent: () => span,
        addLink: () => span,
        addLinks: () => span,
        setStatus: () => span,
        updateName: () => span,
        end: () => {},
        isRecording: () => true,
        recordException: () => {},
      } as unknown as Span
      return span
    },
    startActiveSpan: (() => {
      throw new Error('unused')
    }) as Tracer['startActiveSpan'],
  }
  return { getTracer: () => tracer }
}

describe('OpenTelemetry', () => {
  it('opens a server span per request and client spans for SQL under it', async () => {
    const otel = await loadOpenTelemetry()
    expect(otel).not.toBeNull()
    const spans: { name: string; kind: number; parent?: string; attributes: Record<string, unknown> }[] = []
    trace.setGlobalTracerProvider(recordingProvider(spans))
    const { AsyncLocalStorageContextManager } = await import('./fixtures/als-context-manager')
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
    const db = createDatabase({ connectionString: t.url })
    traceSql(db.pool, otel!)
    try {
      const inner = serveRoutes({
        routes: [
          { method: 'GET', path: '/q', handler: async () => (await db.query('select 42 as n')).rows[0] },
        ],
      })
      const response = await observe(inner, { service: 'demo', otel })(new Request('http://x/q'))
      expect(await response.json()).toEqual({ n: 42 })
      const server = spans.find((s) => s.name === 'demo GET')
      expect(server).toMatchObject({
        kind: SpanKind.SERVER,
        attributes: { 'http.route': '/q', 'http.response.status_code': 200 },
      })
      const sql = spans.find((s) => s.attributes['db.statement'] === 'select 42 as n')
      expect(sql).toMatchObject({ kind: SpanKind.CLIENT, parent: 'demo GET' })
    } finally {
      trace.disable()
      context.disable()
      await db.close()
    }
  })
})

describe('audit', () => {
  it('records admin actions in auth.audit_log_entries, in GoTrue’s payload shape', async () => {
    await t.db.transaction((tx) =>
      recordAudit(tx, {
        action: 'storage.bucket_created',
        logType: 'storage',
        actor: { kind: 'jwt', role: 'service_role', claims: { role: 'service_role', sub: 'u1' } },
        traits: { bucket: 'avatars' },
        ipAddress: '203.0.113.9',
      }),
    )
    const { rows } = await t.db.query<{ payload: Record<string, unknown>; ip_address: string }>(
      `select payload, ip_address from auth.audit_log_entries where payload->>'log_type' = 'storage'`,
    )
    expect(rows).toEqual([
      {
        payload: {
          actor_id: 'u1',
          actor_username: 'service_role',
          actor_via_sso: false,
          action: 'storage.bucket_created',
          log_type: 'storage',
          traits: { bucket: 'avatars' },
        },
        ip_address: '203.0.113.9',
      },
    ])
  })
})
