import type { AnyTaskDefinition } from '@groundwork/core'
import { createJobs, type Jobs } from '@groundwork/jobs'
import {
  createTestDatabase,
  postOversizeBody,
  requestHandler,
  signTestToken,
  type TestDatabase,
} from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createPush, devProvider, type Push } from '../src/index'
import { apnsToken, fcmToken, insertDevices, testAuthenticate, testUser, waitFor } from './helpers'

let t: TestDatabase
let push: Push
let jobs: Jobs
let service: Record<string, string>
let user: Awaited<ReturnType<typeof testUser>>

beforeAll(async () => {
  t = await createTestDatabase()
  push = createPush({ db: t.db, providers: [devProvider()], authenticate: testAuthenticate(), devPage: true })
  jobs = createJobs({ db: t.db, tasks: push.tasks, pollInterval: 100 })
  await jobs.start()
  service = { authorization: `Bearer ${await signTestToken({ role: 'service_role' })}` }
  user = await testUser()
})
afterAll(async () => {
  await jobs?.close()
  await push?.close()
  await t?.drop()
})

async function bearer(claims: Record<string, unknown>) {
  return { authorization: `Bearer ${await signTestToken({ role: 'service_role', ...claims })}` }
}

describe('POST /send and GET /notifications/:id', () => {
  it('accepts the service role, admin keys and push:send keys; refuses everyone else', async () => {
    const body = { to: { user_ids: [user.id] }, notification: { title: 'Hi', body: 'There' } }
    const send = (headers: Record<string, string>) =>
      requestHandler(push.handler, '/send', { method: 'POST', headers, json: body })
    const accepted = await send(service)
    expect(accepted.status).toBe(202)
    expect(await accepted.json()).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/) })
    expect(
      (await send(await bearer({ role: 'authenticated', sub: user.id, test_scopes: ['push:send'] }))).status,
    ).toBe(202)
    expect((await send(await bearer({ test_scopes: ['admin'] }))).status).toBe(202)

    const keyWithoutScope = await send(await bearer({ test_scopes: ['read', 'write'] }))
    expect(keyWithoutScope.status).toBe(403)
    expect(await keyWithoutScope.json()).toMatchObject({ code: 'PUSH_FORBIDDEN' })
    expect((await send(user.auth)).status).toBe(403)
    const anonymous = await send({})
    expect(anonymous.status).toBe(401)
    expect(await anonymous.json()).toMatchObject({ code: 'PUSH_UNAUTHORIZED' })
  })

  it('fans out through the dev provider and reports every delivery', async () => {
    const owner = await testUser()
    const [fcmId, apnsId] = await insertDevices(t.db, [
      { userId: owner.id, provider: 'fcm', token: fcmToken() },
      {
        userId: owner.id,
        provider: 'apns',
        token: apnsToken(),
        environment: 'sandbox',
        topic: 'com.example.app',
      },
    ])
    const response = await requestHandler(push.handler, '/send', {
      method: 'POST',
      headers: service,
      json: {
        to: { user_ids: [owner.id] },
        notification: { title: 'Order shipped', body: 'On its way' },
        data: { order: '7' },
        apns: { badge: 1, thread_id: 'orders' },
        collapse_key: 'order-7',
        ttl_seconds: 60,
        priority: 'normal',
      },
    })
    const { id } = await response.json()
    const report = await waitFor(async () => {
      const r = await requestHandler(push.handler, `/notifications/${id}`, { headers: service })
      const json = await r.json()
      return json.counts?.sent === 2 && json.fanned_out_at ? json : null
    })
    expect(report).toMatchObject({
      id,
      device_count: 2,
      counts: { sent: 2, pending: 0, failed: 0, pruned: 0 },
    })
    expect(report.deliveries.map((d: { device_id: string }) => d.device_id).sort()).toEqual(
      [fcmId, apnsId].sort(),
    )
    expect(report.deliveries[0]).toMatchObject({ status: 'sent', attempts: 1, provider: 'dev' })

    const recorded = await push.api.dev.list({ userId: owner.id })
    const byProvider = Object.fromEntries(recorded.map((p) => [p.provider, p.payload]))
    expect(byProvider.fcm).toMatchObject({
      message: {
        notification: { title: 'Order shipped', body: 'On its way' },
        data: { order: '7' },
        android: { collapse_key: 'order-7', priority: 'NORMAL', ttl: '60s' },
      },
    })
    expect(byProvider.apns).toMatchObject({
      environment: 'sandbox',
      headers: { 'apns-push-type': 'alert', 'apns-priority': '5', 'apns-topic': 'com.example.app' },
      payload: {
        aps: { alert: { title: 'Order shipped', body: 'On its way' }, badge: 1, 'thread-id': 'orders' },
        order: '7',
      },
    })
    expect((await requestHandler(push.handler, `/notifications/${id}`, { headers: user.auth })).status).toBe(
      403,
    )
    expect(
      (await requestHandler(push.handler, `/notifications/${id}?limit=x`, { headers: service })).status,
    ).toBe(400)
    const unknown = await requestHandler(
      push.handler,
      '/notifications/00000000-0000-4000-8000-000000000000',
      {
        headers: service,
      },
    )
    expect(unknown.status).toBe(404)
  })

  it('names the bad field of a send, in snake_case', async () => {
    const post = (json: unknown) =>
      requestHandler(push.handler, '/send', { method: 'POST', headers: service, json })
    const cases: [unknown, number, string, string][] = [
      [{ to: { user_ids: ['nope'] }, data: { a: 'b' } }, 400, 'HTTP_INVALID_BODY', 'to.user_ids.0'],
      [{ to: { userIds: [user.id] }, data: { a: 'b' } }, 400, 'HTTP_INVALID_BODY', 'to'],
      [{ to: {}, data: { a: 'b' } }, 400, 'PUSH_INVALID_MESSAGE', 'recipient'],
      [{ to: { topic: 'news' } }, 400, 'PUSH_INVALID_MESSAGE', 'nothing to send'],
      [{ to: { topic: 'news' }, data: { a: 1 } }, 400, 'HTTP_INVALID_BODY', 'data.a'],
      [{ to: { topic: 'news' }, data: { google_x: 'y' } }, 400, 'PUSH_INVALID_MESSAGE', 'data.google_x'],
      [{ to: { topic: 'news' }, ttl_seconds: -1, data: { a: 'b' } }, 400, 'HTTP_INVALID_BODY', 'ttl_seconds'],
      [{ to: { topic: 'news' }, data: { a: 'x'.repeat(5000) } }, 413, 'PUSH_PAYLOAD_TOO_LARGE', '4096'],
      [
        { to: { topic: 'news' }, notification: { title: 't', body: 'b', image: 'http://x.test/a.png' } },
        400,
        'PUSH_INVALID_MESSAGE',
        'notification.image',
      ],
    ]
    for (const [json, status, code, mentions] of cases) {
      const response = await post(json)
      const body = await response.json()
      expect({ status: response.status, code: body.code }, JSON.stringify(json).slice(0, 80)).toEqual({
        status,
        code,
      })
      expect(body.message).toContain(mentions)
    }
  })

  it('refuses an oversize body with 413 while streaming', async () => {
    const result = await postOversizeBody({
      handler: push.handler,
      path: '/send',
      headers: service,
      limit: 256 * 1024,
    })
    expect(result.status).toBe(413)
    expect(result.body).toMatchObject({ code: 'HTTP_PAYLOAD_TOO_LARGE' })
    expect(result.rssGrowth).toBeLessThan(20 * 1024 * 1024)
    const devices = await postOversizeBody({
      handler: push.handler,
      path: '/devices',
      headers: user.auth,
      limit: 256 * 1024,
    })
    expect(devices.status).toBe(413)
  })

  it('answers CORS preflights for browser apps', async () => {
    const response = await requestHandler(push.handler, '/devices', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(response.headers.get('access-control-allow-methods')).toContain('DELETE')
  })
})

describe('deliveries outlive their devices', () => {
  it('fails a pending delivery to a device deleted after the fan-out, and keeps its history', async () => {
    // A database with no jobs runner: the tasks are run by hand, the device deleted in between.
    const own = await createTestDatabase()
    try {
      const owner = await testUser()
      const [kept, deleted] = (await insertDevices(own.db, [
        { userId: owner.id, provider: 'fcm', token: fcmToken() },
        { userId: owner.id, provider: 'fcm', token: fcmToken() },
      ])) as [string, string]
      const manual = createPush({ db: own.db, providers: [devProvider()] })
      const [fanout, deliver] = manual.tasks as [AnyTaskDefinition, AnyTaskDefinition]
      const ctx = {
        job: {
          id: '0',
          task: '',
          attempt: 1,
          maxAttempts: 10,
          key: null,
          runAt: new Date(),
          createdAt: new Date(),
        },
        signal: new AbortController().signal,
        logger: own.db.logger,
        helpers: null,
      }
      const { id } = await manual.api.send({ to: { deviceIds: [kept, deleted] }, data: { a: 'b' } })
      await fanout.run({ notificationId: id }, ctx)
      await own.db.query('delete from push.devices where id = $1', [deleted])
      await deliver.run({ notificationId: id, batch: 1 }, ctx)
      const status = await manual.api.notification(id)
      const byDevice = Object.fromEntries(
        status?.deliveries.map((d) => [d.deviceId, [d.status, d.errorCode]]) ?? [],
      )
      expect(byDevice).toEqual({ [kept]: ['sent', null], [deleted]: ['failed', 'DEVICE_DELETED'] })
    } finally {
      await own.drop()
    }
  })
})

describe('the dev page', () => {
  it('serves the recorded pushes to the service role only', async () => {
    const list = await requestHandler(push.devHandler, '/messages', { headers: service })
    expect(list.status).toBe(200)
    expect(list.headers.get('cache-control')).toBe('no-store')
    const { items } = await list.json()
    expect(items.length).toBeGreaterThan(0)
    const one = await requestHandler(push.devHandler, `/messages/${items[0].id}`, { headers: service })
    expect(await one.json()).toMatchObject({ id: items[0].id, token: items[0].token })

    const anonymous = await requestHandler(push.devHandler, '/messages')
    expect(anonymous.status).toBe(401)
    expect(await anonymous.json()).toMatchObject({ code: 'PUSH_UNAUTHORIZED' })
    const signedIn = await requestHandler(push.devHandler, '/messages', { headers: user.auth })
    expect(signedIn.status).toBe(403)
    // A browser gets the page's shell (no push in it) with the same status, to ask for the key.
    const page = await requestHandler(push.devHandler, '/', { headers: { accept: 'text/html' } })
    expect(page.status).toBe(401)
    const html = await page.text()
    expect(html).toContain('service_role key')
    expect(html).not.toContain(items[0].token)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'sha256-")
  })

  it('is off by default and refused in production', async () => {
    const closed = createPush({ db: t.db, authenticate: testAuthenticate() })
    const response = await requestHandler(closed.devHandler, '/messages', { headers: service })
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ code: 'PUSH_NOT_FOUND' })

    vi.stubEnv('NODE_ENV', 'production')
    try {
      expect(() => createPush({ db: t.db, authenticate: testAuthenticate(), devPage: true })).toThrow(
        /createPush\.devPage/,
      )
    } finally {
      vi.unstubAllEnvs()
    }
    expect(() => createPush({ db: t.db, devPage: true })).toThrow(/createPush\.authenticate/)
  })
})
