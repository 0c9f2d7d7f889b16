/**
 * Delivery through the real provider code paths (google-auth-library + node:http2 for FCM, apns2
 * for APNs) against local protocol-faithful servers: the FCM server verifies the OAuth bearer was
 * minted from the service account's key at its `token_uri`; the APNs server (TLS on
 * 127.0.0.1:443 — apns2 has no port option — with a self-signed certificate this process trusts)
 * verifies the ES256 provider token, `apns-topic` and `apns-push-type`. Without the right to bind
 * port 443 (not root, or the port taken), the APNs cases are skipped, loudly.
 */
import { generateKeyPairSync } from 'node:crypto'
import tls from 'node:tls'
import { createJobs, type Jobs } from '@groundwork/jobs'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apnsProvider, createPush, fcmProvider, type Push } from '../src/index'
import { type ApnsTestServer, startApnsServer, TEST_CERT } from './fixtures/apns-server'
import { type FcmTestServer, startFcmServer } from './fixtures/fcm-server'
import { apnsToken, deliveries, fcmToken, insertDevices, testUser, waitFor } from './helpers'

const TEAM_ID = 'TEAM123456'
const KEY_ID = 'KEY1234567'
const TOPIC = 'com.example.app'
const apnsKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' })

const apnsServer: ApnsTestServer | null = await listenOn443()

/** The APNs server on port 443; another run of this file may hold it for a while: wait up to 60 s. */
async function listenOn443(): Promise<ApnsTestServer | null> {
  const deadline = Date.now() + 60_000
  for (;;) {
    try {
      return await startApnsServer({ teamId: TEAM_ID, keyId: KEY_ID, publicKey: apnsKeys.publicKey })
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EADDRINUSE' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 500))
        continue
      }
      console.warn(`push providers test: APNs cases SKIPPED, cannot listen on port 443 (${code})`)
      return null
    }
  }
}
// apns2 verifies the gateway's certificate against the default CA store: add the test server's.
if (apnsServer) tls.setDefaultCACertificates([...tls.getCACertificates('default'), TEST_CERT])

let t: TestDatabase
let fcm: FcmTestServer
let push: Push
let jobs: Jobs

beforeAll(async () => {
  ;[t, fcm] = await Promise.all([createTestDatabase(), startFcmServer()])
  push = createPush({
    db: t.db,
    providers: [
      fcmProvider({ credentials: JSON.stringify(fcm.credentials), url: fcm.url }),
      apnsProvider({
        key: apnsKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        keyId: KEY_ID,
        teamId: TEAM_ID,
        topic: TOPIC,
        hosts: { production: '127.0.0.1', sandbox: 'localhost' },
      }),
    ],
    batchSize: 50,
  })
  jobs = createJobs({ db: t.db, tasks: push.tasks, pollInterval: 100 })
  await jobs.start()
})
afterAll(async () => {
  await jobs?.close()
  await push?.close()
  await Promise.all([fcm?.close(), apnsServer?.close(), t?.drop()])
})

async function settled(notificationId: string, count: number) {
  return waitFor(async () => {
    const status = await push.api.notification(notificationId)
    return status?.fannedOutAt && status.counts.pending === 0 && status.deliveries.length === count
      ? status
      : null
  }, 30_000)
}

describe('FCM HTTP v1', () => {
  it('delivers with an OAuth token minted from the service account, reused across sends', async () => {
    const user = await testUser()
    const tokens = [fcmToken(), fcmToken()]
    await insertDevices(
      t.db,
      tokens.map((token) => ({ userId: user.id, provider: 'fcm' as const, token })),
    )
    const receipt = await push.api.send({
      to: { userIds: [user.id] },
      notification: { title: 'Shipped', body: 'Order 42 is on its way' },
      data: { order: '42' },
      collapseKey: 'order-42',
      ttlSeconds: 3600,
      priority: 'high',
    })
    const status = await settled(receipt.id, 2)
    expect(status.counts).toMatchObject({ sent: 2, failed: 0, pruned: 0 })
    expect(
      status.deliveries.every((d) => d.providerMessageId?.startsWith('projects/groundwork-test/messages/')),
    ).toBe(true)
    const sent = fcm.accepted.filter((m) => tokens.includes(m.token))
    expect(sent).toHaveLength(2)
    expect(sent[0]?.message).toMatchObject({
      notification: { title: 'Shipped', body: 'Order 42 is on its way' },
      data: { order: '42' },
      android: { collapse_key: 'order-42', priority: 'HIGH', ttl: '3600s' },
      apns: { headers: { 'apns-collapse-id': 'order-42', 'apns-priority': '10' } },
    })

    const second = await push.api.send({ to: { userIds: [user.id] }, data: { ping: '1' } })
    await settled(second.id, 2)
    expect(fcm.tokensMinted).toBe(1)
  })

  it('retries a 503 no sooner than its Retry-After, then records the send', async () => {
    const user = await testUser()
    const token = fcmToken()
    const [deviceId] = await insertDevices(t.db, [{ userId: user.id, provider: 'fcm', token }])
    fcm.script(token, [{ status: 503, retryAfter: '5' }])
    const started = Date.now()
    const receipt = await push.api.send({ to: { deviceIds: [deviceId as string] }, data: { n: '1' } })
    const pending = await waitFor(async () => {
      const d = (await deliveries(t.db, receipt.id)).get(deviceId as string)
      return d?.error_code === 'UNAVAILABLE' ? d : null
    })
    expect(pending).toMatchObject({ status: 'pending', attempts: 1 })
    const status = await settled(receipt.id, 1)
    expect(status.deliveries[0]).toMatchObject({ status: 'sent', attempts: 2 })
    const sentAt = fcm.accepted.find((m) => m.token === token)?.at as number
    // exp(1) ≈ 2.7 s of graphile-worker backoff alone; the 5 s of Retry-After win.
    expect(sentAt - started).toBeGreaterThanOrEqual(5000)
    expect(fcm.requestsByToken.get(token)).toBe(2)
  }, 30_000)

  it('prunes on UNREGISTERED, SENDER_ID_MISMATCH and an invalid-token INVALID_ARGUMENT only', async () => {
    const user = await testUser()
    const tokens = {
      unregistered: fcmToken(),
      mismatch: fcmToken(),
      invalid: fcmToken(),
      payloadError: fcmToken(),
      wrongProject: fcmToken(),
      live: fcmToken(),
    }
    fcm.setToken(tokens.unregistered, 'unregistered')
    fcm.setToken(tokens.mismatch, 'mismatch')
    fcm.setToken(tokens.invalid, 'invalid')
    // A bad payload is also 400 INVALID_ARGUMENT, with a BadRequest violation on a payload field.
    fcm.script(tokens.payloadError, [
      {
        status: 400,
        body: {
          error: {
            code: 400,
            message: "Invalid value at 'message.data[0].value' (TYPE_STRING), 12",
            status: 'INVALID_ARGUMENT',
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.BadRequest',
                fieldViolations: [{ field: 'message.data[0].value', description: 'Invalid value' }],
              },
              {
                '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError',
                errorCode: 'INVALID_ARGUMENT',
              },
            ],
          },
        },
      },
    ])
    // 404 without UNREGISTERED: a wrong project or path, not a dead token.
    fcm.script(tokens.wrongProject, [
      {
        status: 404,
        body: { error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' } },
      },
    ])
    const ids = await insertDevices(
      t.db,
      Object.values(tokens).map((token) => ({ userId: user.id, provider: 'fcm' as const, token })),
    )
    const byToken = new Map(Object.values(tokens).map((token, i) => [token, ids[i] as string]))
    const receipt = await push.api.send({
      to: { userIds: [user.id] },
      notification: { title: 'x', body: 'y' },
    })
    await settled(receipt.id, 6)
    const result = await deliveries(t.db, receipt.id)
    const of = (token: string) => result.get(byToken.get(token) as string)
    expect(of(tokens.unregistered)).toMatchObject({ status: 'pruned', error_code: 'UNREGISTERED' })
    expect(of(tokens.mismatch)).toMatchObject({ status: 'pruned', error_code: 'SENDER_ID_MISMATCH' })
    expect(of(tokens.invalid)).toMatchObject({ status: 'pruned', error_code: 'INVALID_ARGUMENT' })
    expect(of(tokens.payloadError)).toMatchObject({ status: 'failed', error_code: 'INVALID_ARGUMENT' })
    expect(of(tokens.wrongProject)).toMatchObject({ status: 'failed', error_code: 'NOT_FOUND' })
    expect(of(tokens.live)).toMatchObject({ status: 'sent' })

    const devices = await push.api.admin.listDevices({ userId: user.id, includeDisabled: true })
    const disabled = Object.fromEntries(devices.map((d) => [d.token, d.disabledReason]))
    expect(disabled).toEqual({
      [tokens.unregistered]: 'UNREGISTERED',
      [tokens.mismatch]: 'SENDER_ID_MISMATCH',
      [tokens.invalid]: 'INVALID_ARGUMENT',
      [tokens.payloadError]: null,
      [tokens.wrongProject]: null,
      [tokens.live]: null,
    })
    // Pruned devices are not sent to again.
    const again = await push.api.send({ to: { userIds: [user.id] }, data: { n: '2' } })
    const next = await settled(again.id, 3)
    expect(next.counts.sent).toBe(3)
  })

  it('mints a new access token when FCM refuses the cached one', async () => {
    const user = await testUser()
    const token = fcmToken()
    await insertDevices(t.db, [{ userId: user.id, provider: 'fcm', token }])
    const minted = fcm.tokensMinted
    fcm.revokeAccessTokens()
    const receipt = await push.api.send({ to: { userIds: [user.id] }, data: { n: '1' } })
    const status = await settled(receipt.id, 1)
    expect(status.deliveries[0]).toMatchObject({ status: 'sent', attempts: 1 })
    expect(fcm.tokensMinted).toBe(minted + 1)
  })

  it('sends nothing when the enqueuing transaction rolls back', async () => {
    const user = await testUser()
    const token = fcmToken()
    await insertDevices(t.db, [{ userId: user.id, provider: 'fcm', token }])
    let id = ''
    await expect(
      t.db.transaction(async (tx) => {
        id = (await push.api.send(tx, { to: { userIds: [user.id] }, data: { n: '1' } })).id
        throw new Error('rolled back')
      }),
    ).rejects.toThrow('rolled back')
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(await push.api.notification(id)).toBeNull()
    const { rows } = await t.db.query(
      "select count(*)::int as n from graphile_worker._private_jobs where payload->>'notificationId' = $1",
      [id],
    )
    expect(rows[0]?.n).toBe(0)
    // A later committed send to the same device is the only one the server sees.
    const committed = await push.api.send({ to: { userIds: [user.id] }, data: { n: '2' } })
    await settled(committed.id, 1)
    expect(fcm.requestsByToken.get(token)).toBe(1)
  })

  it('refuses payloads over the providers limits before enqueuing', async () => {
    await expect(
      push.api.send({ to: { topic: 'news' }, data: { blob: 'x'.repeat(4100) } }),
    ).rejects.toMatchObject({ code: 'PUSH_PAYLOAD_TOO_LARGE', status: 413, details: { provider: 'fcm' } })
    await expect(push.api.send({ to: { topic: 'news' }, data: { from: 'me' } })).rejects.toMatchObject({
      code: 'PUSH_INVALID_MESSAGE',
    })
    const { rows } = await t.db.query(
      "select count(*)::int as n from push.notifications where target->>'topic' = 'news'",
    )
    expect(rows[0]?.n).toBe(0)
  })
})

describe.skipIf(!apnsServer)('APNs (token auth, HTTP/2 on 127.0.0.1:443)', () => {
  const apns = apnsServer as ApnsTestServer

  it('delivers to a user with two devices on both providers', async () => {
    const user = await testUser()
    const fcmTokens = [fcmToken(), fcmToken()]
    const apnsTokens = [apnsToken(), apnsToken()]
    apns.register(apnsTokens[0] as string, { environment: 'production', topic: TOPIC })
    apns.register(apnsTokens[1] as string, { environment: 'sandbox', topic: 'com.example.other' })
    await insertDevices(t.db, [
      ...fcmTokens.map((token) => ({ userId: user.id, provider: 'fcm' as const, token })),
      { userId: user.id, provider: 'apns', token: apnsTokens[0] as string, environment: 'production' },
      {
        userId: user.id,
        provider: 'apns',
        token: apnsTokens[1] as string,
        environment: 'sandbox',
        topic: 'com.example.other',
      },
    ])
    const receipt = await push.api.send({
      to: { userIds: [user.id] },
      notification: { title: 'Hello', body: 'From both' },
      data: { kind: 'greeting' },
      apns: { badge: 3, sound: 'default' },
      collapseKey: 'hello',
    })
    const status = await settled(receipt.id, 4)
    expect(status.counts).toMatchObject({ sent: 4 })
    const production = apns.accepted.find((a) => a.token === apnsTokens[0])
    expect(production).toMatchObject({
      environment: 'production',
      headers: { 'apns-topic': TOPIC, 'apns-push-type': 'alert', 'apns-collapse-id': 'hello' },
      payload: {
        aps: { alert: { title: 'Hello', body: 'From both' }, badge: 3, sound: 'default' },
        kind: 'greeting',
      },
    })
    expect(apns.accepted.find((a) => a.token === apnsTokens[1])).toMatchObject({
      environment: 'sandbox',
      headers: { 'apns-topic': 'com.example.other' },
    })
    expect(fcm.accepted.filter((m) => fcmTokens.includes(m.token))).toHaveLength(2)
    // One ES256 provider token per gateway connection (production, sandbox), reused for every push.
    expect(apns.providerTokens.size).toBe(2)
  })

  it('sends a background push with priority 5 and content-available', async () => {
    const user = await testUser()
    const token = apnsToken()
    apns.register(token, { environment: 'production', topic: TOPIC })
    await insertDevices(t.db, [{ userId: user.id, provider: 'apns', token }])
    const receipt = await push.api.send({ to: { userIds: [user.id] }, data: { sync: '1' } })
    await settled(receipt.id, 1)
    expect(apns.accepted.find((a) => a.token === token)).toMatchObject({
      headers: { 'apns-push-type': 'background', 'apns-priority': '5' },
      payload: { aps: { 'content-available': 1 }, sync: '1' },
    })
  })

  it('prunes on Unregistered, and on BadDeviceToken only after trying the other environment', async () => {
    const user = await testUser()
    const tokens = {
      unregistered: apnsToken(),
      wrongEnvironment: apnsToken(),
      bad: apnsToken(),
      payloadError: apnsToken(),
    }
    apns.register(tokens.unregistered, { environment: 'production', topic: TOPIC, unregistered: true })
    // Registered by the app as production, but it is a development build's (sandbox) token.
    apns.register(tokens.wrongEnvironment, { environment: 'sandbox', topic: TOPIC })
    apns.register(tokens.payloadError, { environment: 'production', topic: TOPIC })
    apns.script(tokens.payloadError, [{ status: 413, reason: 'PayloadTooLarge' }])
    const ids = await insertDevices(
      t.db,
      Object.values(tokens).map((token) => ({ userId: user.id, provider: 'apns' as const, token })),
    )
    const byToken = new Map(Object.values(tokens).map((token, i) => [token, ids[i] as string]))
    const receipt = await push.api.send({
      to: { userIds: [user.id] },
      notification: { title: 't', body: 'b' },
    })
    await settled(receipt.id, 4)
    const result = await deliveries(t.db, receipt.id)
    const of = (token: string) => result.get(byToken.get(token) as string)
    expect(of(tokens.unregistered)).toMatchObject({ status: 'pruned', error_code: 'Unregistered' })
    expect(of(tokens.wrongEnvironment)).toMatchObject({ status: 'sent' })
    expect(of(tokens.bad)).toMatchObject({ status: 'pruned', error_code: 'BadDeviceToken' })
    expect(of(tokens.payloadError)).toMatchObject({ status: 'failed', error_code: 'PayloadTooLarge' })
    expect(apns.answers.filter((a) => a.token === tokens.bad).map((a) => [a.environment, a.reason])).toEqual([
      ['production', 'BadDeviceToken'],
      ['sandbox', 'BadDeviceToken'],
    ])

    const devices = await push.api.admin.listDevices({ userId: user.id, includeDisabled: true })
    const state = Object.fromEntries(devices.map((d) => [d.token, [d.environment, d.disabledReason]]))
    expect(state).toEqual({
      [tokens.unregistered]: ['production', 'Unregistered'],
      [tokens.wrongEnvironment]: ['sandbox', null],
      [tokens.bad]: ['production', 'BadDeviceToken'],
      [tokens.payloadError]: ['production', null],
    })
  })

  it('retries ServiceUnavailable', async () => {
    const user = await testUser()
    const token = apnsToken()
    apns.register(token, { environment: 'production', topic: TOPIC })
    apns.script(token, [{ status: 503, reason: 'ServiceUnavailable' }])
    await insertDevices(t.db, [{ userId: user.id, provider: 'apns', token }])
    const receipt = await push.api.send({
      to: { userIds: [user.id] },
      notification: { title: 't', body: 'b' },
    })
    const status = await settled(receipt.id, 1)
    expect(status.deliveries[0]).toMatchObject({ status: 'sent', attempts: 2 })
  }, 30_000)
})
