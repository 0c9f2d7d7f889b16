// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are read loosely in these assertions.
/**
 * Change capture to delivery, end to end against Postgres: writes from a plain `pg` client are
 * captured by the database, delivered as jobs, and verified by the `standardwebhooks` package.
 */
import { createPublicKey, verify as edVerify } from 'node:crypto'
import { createJobs, type Jobs } from '@groundwork/jobs'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import pg from 'pg'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWebhooks, type Webhooks } from '../src/index'
import { type Receiver, startReceiver, waitFor } from './fixtures/receiver'

let t: TestDatabase
let receiver: Receiver
let webhooks: Webhooks
let jobs: Jobs
let client: pg.Client

beforeAll(async () => {
  ;[t, receiver] = await Promise.all([createTestDatabase(), startReceiver()])
  await t.db.query(
    `create table public.orders (id bigint primary key, status text not null, total numeric not null)`,
  )
  await t.db.query(`create table public.notes (id serial primary key, body text)`)
  webhooks = createWebhooks({
    db: t.db,
    allowHosts: ['127.0.0.1'],
    retrySchedule: [200, 400, 600],
    retryJitter: 0,
    requestTimeout: 2000,
  })
  jobs = createJobs({ db: t.db, tasks: webhooks.tasks, pollInterval: 50, concurrency: 4 })
  await jobs.start()
  client = new pg.Client({ connectionString: t.url })
  await client.connect()
})
afterAll(async () => {
  await client?.end()
  await jobs?.close()
  await webhooks?.close()
  await Promise.all([receiver?.close(), t?.drop()])
})

function forEndpoint(id: string) {
  return receiver.received.filter((r) => r.headers['x-endpoint'] === id)
}

describe('delivery of captured changes', () => {
  it('delivers an insert made from a plain pg client, signed so standardwebhooks verifies it', async () => {
    const endpoint = await webhooks.api.create({
      url: receiver.url,
      table: 'public.orders',
      events: ['INSERT', 'UPDATE'],
      headers: { 'x-endpoint': 'a' },
    })
    expect(endpoint.secret.secret).toMatch(/^whsec_/)
    await client.query(`insert into public.orders values (1, 'new', 10)`)
    const [got] = await waitFor(() => forEndpoint('a').length >= 1 && forEndpoint('a'))
    const wh = new Webhook(endpoint.secret.secret)
    const payload = wh.verify(got!.body, {
      'webhook-id': got!.headers['webhook-id'] as string,
      'webhook-timestamp': got!.headers['webhook-timestamp'] as string,
      'webhook-signature': got!.headers['webhook-signature'] as string,
    }) as Record<string, any>
    expect(payload.type).toBe('INSERT')
    expect(payload.data).toEqual({
      schema: 'public',
      table: 'orders',
      record: { id: 1, status: 'new', total: 10 },
      old_record: null,
    })
    expect(new Date(payload.timestamp).getTime()).toBeGreaterThan(Date.now() - 60_000)
    expect(got!.headers['webhook-id']).toMatch(/^msg_/)
    // A tampered body fails verification.
    expect(() =>
      wh.verify(got!.body.replace('new', 'old'), {
        'webhook-id': got!.headers['webhook-id'] as string,
        'webhook-timestamp': got!.headers['webhook-timestamp'] as string,
        'webhook-signature': got!.headers['webhook-signature'] as string,
      }),
    ).toThrow()
    const deliveries = await waitFor(async () => {
      const list = await webhooks.api.deliveries(endpoint.id)
      return list?.[0]?.status === 'delivered' && list
    })
    expect(deliveries[0]).toMatchObject({
      attempts: 1,
      responseStatus: 200,
      eventId: got!.headers['webhook-id'],
    })
    // A rolled-back write sends nothing; a DELETE is not among the endpoint's events.
    await client.query('begin')
    await client.query(`insert into public.orders values (2, 'new', 1)`)
    await client.query('rollback')
    await client.query(`delete from public.orders where id = 1`)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(forEndpoint('a')).toHaveLength(1)
    await webhooks.api.delete(endpoint.id)
  })

  it('applies the filter (realtime grammar) to the row', async () => {
    const endpoint = await webhooks.api.create({
      url: receiver.url,
      table: 'orders',
      events: ['INSERT'],
      filter: 'status=eq.paid,total=gte.100',
      headers: { 'x-endpoint': 'filter' },
    })
    await client.query(
      `insert into public.orders values (10, 'paid', 150), (11, 'paid', 50), (12, 'new', 500), (13, 'paid', 100)`,
    )
    await waitFor(() => forEndpoint('filter').length >= 2)
    await new Promise((resolve) => setTimeout(resolve, 300))
    const ids = forEndpoint('filter')
      .map((r) => JSON.parse(r.body).data.record.id)
      .sort()
    expect(ids).toEqual([10, 13])
    await webhooks.api.delete(endpoint.id)
  })

  it('retries a failing receiver on the schedule, honouring Retry-After, then succeeds', async () => {
    const endpoint = await webhooks.api.create({
      url: receiver.url,
      table: 'notes',
      events: ['INSERT'],
      headers: { 'x-endpoint': 'retry' },
    })
    let calls = 0
    receiver.respond((request): { status: number; headers?: Record<string, string> } => {
      if (request.headers['x-endpoint'] !== 'retry') return { status: 200 }
      calls++
      if (calls === 1) return { status: 500 }
      if (calls === 2) return { status: 302, headers: { location: 'http://127.0.0.1:1/' } }
      if (calls === 3) return { status: 503, headers: { 'retry-after': '1' } }
      return { status: 204 }
    })
    await client.query(`insert into public.notes (body) values ('hello')`)
    await waitFor(() => forEndpoint('retry').length >= 4, 15_000)
    const times = forEndpoint('retry').map((r) => r.at)
    const gaps = times.slice(1).map((at, i) => at - (times[i] as number))
    // 200 ms, 400 ms, then max(600 ms, Retry-After 1 s); 3xx counted as a failure.
    expect(gaps[0]).toBeGreaterThanOrEqual(180)
    expect(gaps[1]).toBeGreaterThanOrEqual(380)
    expect(gaps[2]).toBeGreaterThanOrEqual(950)
    const ids = new Set(forEndpoint('retry').map((r) => r.headers['webhook-id']))
    expect(ids.size).toBe(1)
    const [delivery] = await waitFor(async () => {
      const list = await webhooks.api.deliveries(endpoint.id)
      return list?.[0]?.status === 'delivered' && list
    })
    expect(delivery).toMatchObject({ attempts: 4, responseStatus: 204 })
    receiver.respond(() => ({ status: 200 }))
    await webhooks.api.delete(endpoint.id)
  })

  it('fails a delivery once the schedule is exhausted', async () => {
    const endpoint = await webhooks.api.create({
      url: receiver.url,
      table: 'notes',
      events: ['UPDATE'],
      headers: { 'x-endpoint': 'exhaust' },
    })
    receiver.respond((request) => ({ status: request.headers['x-endpoint'] === 'exhaust' ? 500 : 200 }))
    await client.query(`update public.notes set body = 'x'`)
    const [delivery] = await waitFor(async () => {
      const list = await webhooks.api.deliveries(endpoint.id)
      return list?.[0]?.status === 'failed' && list
    }, 15_000)
    expect(delivery).toMatchObject({ attempts: 4, responseStatus: 500 })
    receiver.respond(() => ({ status: 200 }))
    await webhooks.api.delete(endpoint.id)
  })

  it('disables the endpoint on 410 Gone', async () => {
    const endpoint = await webhooks.api.create({
      url: receiver.url,
      table: 'notes',
      events: ['DELETE'],
      headers: { 'x-endpoint': 'gone' },
    })
    receiver.respond((request) => ({ status: request.headers['x-endpoint'] === 'gone' ? 410 : 200 }))
    await client.query(`delete from public.notes`)
    const disabled = await waitFor(async () => {
      const current = await webhooks.api.get(endpoint.id)
      return current && !current.enabled && current
    })
    expect(disabled.disabledReason).toMatch(/410/)
    const [delivery] = (await webhooks.api.deliveries(endpoint.id))!
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, responseStatus: 410 })
    // Disabled: later changes are not captured for it.
    await client.query(`insert into public.notes (body) values ('later'); delete from public.notes`)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await webhooks.api.deliveries(endpoint.id)).toHaveLength(1)
    receiver.respond(() => ({ status: 200 }))
    await webhooks.api.delete(endpoint.id)
  })

  it('rotation: the old and new secrets both sign during the overlap; a deleted one stops', async () => {
    const endpoint = await webhooks.api.create({
      url: receiver.url,
      table: 'orders',
      events: ['UPDATE'],
      headers: { 'x-endpoint': 'rotate' },
    })
    const rotated = await webhooks.api.rotateSecret(endpoint.id)
    const asymmetric = await webhooks.api.rotateSecret(endpoint.id, { type: 'v1a' })
    expect(rotated?.secret).toMatch(/^whsec_/)
    expect(asymmetric?.publicKey).toMatch(/^whpk_/)
    await client.query(`update public.orders set status = 'shipped' where id = 10`)
    const [got] = await waitFor(() => forEndpoint('rotate').length >= 1 && forEndpoint('rotate'))
    const headers = {
      'webhook-id': got!.headers['webhook-id'] as string,
      'webhook-timestamp': got!.headers['webhook-timestamp'] as string,
      'webhook-signature': got!.headers['webhook-signature'] as string,
    }
    expect(() => new Webhook(endpoint.secret.secret).verify(got!.body, headers)).not.toThrow()
    expect(() => new Webhook(rotated!.secret).verify(got!.body, headers)).not.toThrow()
    // v1a: ed25519 over the same signed content, verified with the whpk_ public key.
    const v1a = headers['webhook-signature'].split(' ').find((s) => s.startsWith('v1a,'))!
    const publicKey = createPublicKey({
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        x: Buffer.from(asymmetric!.publicKey!.slice(5), 'base64').toString('base64url'),
      },
      format: 'jwk',
    })
    const content = `${headers['webhook-id']}.${headers['webhook-timestamp']}.${got!.body}`
    expect(edVerify(null, Buffer.from(content), publicKey, Buffer.from(v1a.slice(4), 'base64'))).toBe(true)

    // The original secret deleted: the next message no longer verifies with it.
    expect(await webhooks.api.deleteSecret(endpoint.id, endpoint.secret.id)).toBe(true)
    await client.query(`update public.orders set status = 'delivered' where id = 10`)
    const second = await waitFor(() => forEndpoint('rotate').length >= 2 && forEndpoint('rotate')[1])
    const headers2 = {
      'webhook-id': second.headers['webhook-id'] as string,
      'webhook-timestamp': second.headers['webhook-timestamp'] as string,
      'webhook-signature': second.headers['webhook-signature'] as string,
    }
    expect(() => new Webhook(endpoint.secret.secret).verify(second.body, headers2)).toThrow()
    expect(() => new Webhook(rotated!.secret).verify(second.body, headers2)).not.toThrow()
    await webhooks.api.delete(endpoint.id)
  })

  it('redelivers a message with the same webhook-id, and sends test messages', async () => {
    const endpoint = await webhooks.api.create({
      url: receiver.url,
      table: 'orders',
      events: ['INSERT'],
      headers: { 'x-endpoint': 'redeliver' },
    })
    await client.query(`insert into public.orders values (20, 'new', 1)`)
    const [first] = await waitFor(async () => {
      const list = await webhooks.api.deliveries(endpoint.id)
      return list?.[0]?.status === 'delivered' && list
    })
    const again = await webhooks.api.redeliver(endpoint.id, first!.id)
    expect(again?.eventId).toBe(first!.eventId)
    await waitFor(() => forEndpoint('redeliver').length >= 2)
    const ids = forEndpoint('redeliver').map((r) => r.headers['webhook-id'])
    expect(ids[0]).toBe(ids[1])
    const test = await webhooks.api.test(endpoint.id)
    expect(test?.eventType).toBe('webhook.test')
    const got = await waitFor(() => forEndpoint('redeliver')[2])
    expect(JSON.parse(got.body)).toMatchObject({
      type: 'webhook.test',
      data: { schema: 'public', table: 'orders' },
    })
    await webhooks.api.delete(endpoint.id)
  })

  it('keeps at most max_concurrency requests in flight, and orders one row’s changes when asked', async () => {
    const endpoint = await webhooks.api.create({
      url: receiver.url,
      table: 'orders',
      events: ['UPDATE'],
      ordered: true,
      maxConcurrency: 3,
      headers: { 'x-endpoint': 'ordered' },
    })
    for (let i = 0; i < 5; i++)
      await client.query(`update public.orders set total = total + 1 where id in (10, 11, 12)`)
    await waitFor(() => forEndpoint('ordered').length >= 15)
    for (const id of [10, 11, 12]) {
      const totals = forEndpoint('ordered')
        .map((r) => JSON.parse(r.body).data.record)
        .filter((record) => record.id === id)
        .map((record) => record.total)
      expect(totals).toEqual([...totals].sort((a, b) => a - b))
    }
    await webhooks.api.delete(endpoint.id)
  })
})
