/**
 * The demo's observability and webhooks mount, over HTTP: `/health/ready`, `/metrics` (parsed
 * with a Prometheus text-format parser, moving with requests), `X-Request-Id` on responses, and
 * `/admin/webhooks` delivering a change to a receiver allowed by `WEBHOOKS_ALLOW_HOSTS`.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningDemo, startDemo } from './support/demo-server'

let stack: RunningDemo
const received: { headers: Record<string, unknown>; body: string }[] = []
const receiver = createServer((req, res) => {
  let body = ''
  req.on('data', (chunk) => {
    body += chunk
  })
  req.on('end', () => {
    received.push({ headers: req.headers, body })
    res.end()
  })
})

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  stack = await startDemo({ webhooks: { allowHosts: ['127.0.0.1'] } })
})
afterAll(async () => {
  await stack?.stop()
  receiver.closeAllConnections()
  await new Promise((resolve) => receiver.close(resolve))
})

type Family = { name: string; metrics: { labels?: Record<string, string>; value?: string }[] }

describe('demo observability', () => {
  it('GET /health/ready reports every check ready', async () => {
    const response = await fetch(`${stack.url}/health/ready`)
    const body = await response.json()
    expect(body).toMatchObject({
      status: 'ready',
      checks: {
        database: { ok: true },
        migrations: { ok: true },
        jobs: { ok: true },
        realtime: { ok: true },
      },
    })
    expect(response.status).toBe(200)
  })

  it('GET /metrics parses as Prometheus text and moves with requests; responses carry X-Request-Id', async () => {
    const scrape = async () =>
      parsePrometheusTextFormat(await (await fetch(`${stack.url}/metrics`)).text()) as Family[]
    const restCount = (families: Family[]) =>
      families
        .find((f) => f.name === 'groundwork_http_requests_total')
        ?.metrics.filter((m) => m.labels?.service === 'rest' && m.labels?.status === '200')
        .reduce((sum, m) => sum + Number(m.value), 0) ?? 0
    const before = restCount(await scrape())
    const response = await fetch(`${stack.url}/rest/v1/todos`, {
      headers: { apikey: stack.anonKey, 'x-request-id': 'demo-req-1' },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-request-id')).toBe('demo-req-1')
    await fetch(`${stack.url}/rest/v1/todos`, { headers: { apikey: stack.anonKey } })
    const after = await scrape()
    expect(restCount(after) - before).toBe(2)
    expect(after.find((f) => f.name === 'groundwork_db_pool_connections')).toBeDefined()
    expect(after.find((f) => f.name === 'groundwork_realtime_subscribers')).toBeDefined()
  })

  it('/admin/webhooks creates an endpoint whose changes reach the receiver', async () => {
    const service = { apikey: stack.serviceRoleKey, authorization: `Bearer ${stack.serviceRoleKey}` }
    const port = (receiver.address() as AddressInfo).port
    const created = await fetch(`${stack.url}/admin/webhooks`, {
      method: 'POST',
      headers: { ...service, 'content-type': 'application/json' },
      body: JSON.stringify({
        url: `http://127.0.0.1:${port}/hook`,
        table: 'public.todos',
        events: ['INSERT'],
      }),
    })
    expect(created.status).toBe(201)
    const endpoint = (await created.json()) as { id: string; secret: { secret: string } }
    expect(endpoint.secret.secret).toMatch(/^whsec_/)
    await stack.database.db.query(
      `insert into public.todos (title, list_id) select 'from psql', list_id from public.todos limit 1`,
    )
    const deadline = Date.now() + 20_000
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(JSON.parse(received[0]?.body ?? '{}')).toMatchObject({
      type: 'INSERT',
      data: { schema: 'public', table: 'todos', record: { title: 'from psql' } },
    })
    const deliveries = await fetch(`${stack.url}/admin/webhooks/${endpoint.id}/deliveries`, {
      headers: service,
    })
    expect(((await deliveries.json()) as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(1)
  })
})
