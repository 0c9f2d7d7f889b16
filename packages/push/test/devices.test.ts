import { createTestDatabase, requestHandler, signTestToken, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPush, type Push } from '../src/index'
import { apnsToken, fcmToken, testAuthenticate, testUser } from './helpers'

let t: TestDatabase
let push: Push
let ada: Awaited<ReturnType<typeof testUser>>
let bob: Awaited<ReturnType<typeof testUser>>

beforeAll(async () => {
  t = await createTestDatabase()
  push = createPush({ db: t.db, authenticate: testAuthenticate() })
  ;[ada, bob] = await Promise.all([testUser(), testUser()])
})
afterAll(async () => {
  await push?.close()
  await t?.drop()
})

function call(path: string, init: Parameters<typeof requestHandler>[2] = {}) {
  return requestHandler(push.handler, path, init)
}

describe('devices under row-level security', () => {
  it('registers, refreshes idempotently on the token, and lists only my devices', async () => {
    const token = fcmToken()
    const first = await call('/devices', {
      method: 'POST',
      headers: ada.auth,
      json: { token, provider: 'fcm', platform: 'android', locale: 'pt-BR' },
    })
    expect(first.status).toBe(201)
    const device = await first.json()
    expect(device).toMatchObject({
      user_id: ada.id,
      provider: 'fcm',
      token,
      platform: 'android',
      locale: 'pt-BR',
    })
    expect(device.id).toMatch(/^[0-9a-f-]{36}$/)

    const again = await call('/devices', {
      method: 'POST',
      headers: ada.auth,
      json: { token, provider: 'fcm' },
    })
    expect(again.status).toBe(200)
    const refreshed = await again.json()
    expect(refreshed.id).toBe(device.id)
    expect(refreshed.platform).toBe('android') // kept: omitted fields do not erase
    expect(new Date(refreshed.last_seen_at).getTime()).toBeGreaterThanOrEqual(
      new Date(device.last_seen_at).getTime(),
    )

    const mine = await (await call('/devices', { headers: ada.auth })).json()
    expect(mine.items.map((d: { id: string }) => d.id)).toEqual([device.id])
    const theirs = await (await call('/devices', { headers: bob.auth })).json()
    expect(theirs.items).toEqual([])
    const { rows } = await t.db.query('select count(*)::int as n from push.devices where token = $1', [token])
    expect(rows[0]?.n).toBe(1)
  })

  it('moves a token registered by another user, never duplicating it, and drops their topics', async () => {
    const token = apnsToken().toUpperCase()
    const mine = await (
      await call('/devices', {
        method: 'POST',
        headers: ada.auth,
        json: { token, provider: 'apns', environment: 'sandbox', topic: 'com.example.app' },
      })
    ).json()
    expect(mine.token).toBe(token.toLowerCase())
    expect(mine.environment).toBe('sandbox')
    expect(
      (await call(`/devices/${mine.id}/topics/news`, { method: 'POST', headers: ada.auth })).status,
    ).toBe(201)
    expect(
      (await call(`/devices/${mine.id}/topics/news`, { method: 'POST', headers: ada.auth })).status,
    ).toBe(200)

    const moved = await call('/devices', {
      method: 'POST',
      headers: bob.auth,
      json: { token, provider: 'apns' },
    })
    expect(moved.status).toBe(200)
    const device = await moved.json()
    expect(device).toMatchObject({ id: mine.id, user_id: bob.id, environment: 'sandbox', topics: [] })
    const adaDevices = await (await call('/devices', { headers: ada.auth })).json()
    expect(adaDevices.items.map((d: { id: string }) => d.id)).not.toContain(mine.id)
    const { rows } = await t.db.query('select count(*)::int as n from push.devices where token = $1', [
      token.toLowerCase(),
    ])
    expect(rows[0]?.n).toBe(1)
  })

  it('lets no one else read, subscribe or delete my device', async () => {
    const device = await (
      await call('/devices', {
        method: 'POST',
        headers: ada.auth,
        json: { token: fcmToken(), provider: 'fcm' },
      })
    ).json()
    expect((await call(`/devices/${device.id}`, { headers: bob.auth })).status).toBe(404)
    expect((await call(`/devices/${device.id}/topics/x`, { method: 'POST', headers: bob.auth })).status).toBe(
      404,
    )
    const stolen = await call(`/devices/${device.id}`, { method: 'DELETE', headers: bob.auth })
    expect(stolen.status).toBe(404)
    expect(await stolen.json()).toMatchObject({ code: 'PUSH_NOT_FOUND' })
    expect((await call(`/devices/${device.id}`, { headers: ada.auth })).status).toBe(200)
    // RLS itself, not only the handler's filter: as Bob, the row does not exist.
    const { rows } = await t.db.withClaims({ role: 'authenticated', sub: bob.id }, (tx) =>
      tx.query('select id from push.devices where id = $1', [device.id]),
    )
    expect(rows).toEqual([])
    const deleted = await t.db.withClaims({ role: 'authenticated', sub: bob.id }, (tx) =>
      tx.query('delete from push.devices where id = $1', [device.id]),
    )
    expect(deleted.rowCount).toBe(0)

    expect((await call(`/devices/${device.id}`, { method: 'DELETE', headers: ada.auth })).status).toBe(204)
    expect((await call(`/devices/${device.id}`, { method: 'DELETE', headers: ada.auth })).status).toBe(404)
  })

  it('subscribes and unsubscribes topics', async () => {
    const device = await (
      await call('/devices', {
        method: 'POST',
        headers: ada.auth,
        json: { token: fcmToken(), provider: 'fcm' },
      })
    ).json()
    await call(`/devices/${device.id}/topics/sports`, { method: 'POST', headers: ada.auth })
    await call(`/devices/${device.id}/topics/weather`, { method: 'POST', headers: ada.auth })
    expect((await (await call(`/devices/${device.id}`, { headers: ada.auth })).json()).topics).toEqual([
      'sports',
      'weather',
    ])
    expect(
      (await call(`/devices/${device.id}/topics/sports`, { method: 'DELETE', headers: ada.auth })).status,
    ).toBe(204)
    expect((await (await call(`/devices/${device.id}`, { headers: ada.auth })).json()).topics).toEqual([
      'weather',
    ])
    const bad = await call(`/devices/${device.id}/topics/${encodeURIComponent('no spaces')}`, {
      method: 'POST',
      headers: ada.auth,
    })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ code: 'PUSH_INVALID_DEVICE' })
  })

  it('refuses callers without a user and malformed registrations, naming the field', async () => {
    const anon = await signTestToken({ role: 'anon' })
    const noUser = await call('/devices', { headers: { authorization: `Bearer ${anon}` } })
    expect(noUser.status).toBe(401)
    expect(await noUser.json()).toMatchObject({ code: 'PUSH_UNAUTHORIZED' })
    const anonymous = await call('/devices', {})
    expect(anonymous.status).toBe(401)

    const cases: [unknown, string][] = [
      [{ token: 'not hex', provider: 'apns' }, 'token'],
      [{ token: 'has space', provider: 'fcm' }, 'token'],
      [{ token: fcmToken(), provider: 'fcm', environment: 'sandbox' }, 'environment'],
      [{ token: fcmToken(), provider: 'gcm' }, 'provider'],
      [{ token: fcmToken(), provider: 'fcm', locale: 'not a locale!' }, 'locale'],
    ]
    for (const [json, field] of cases) {
      const response = await call('/devices', { method: 'POST', headers: ada.auth, json })
      expect(response.status).toBe(400)
      const body = await response.json()
      expect(body.code).toBe('PUSH_INVALID_DEVICE')
      expect(body.message).toContain(field)
    }
  })

  it('keeps an API key narrowed to read from registering', async () => {
    const readOnly = await signTestToken({ role: 'authenticated', sub: ada.id, test_scopes: ['read'] })
    const response = await call('/devices', {
      method: 'POST',
      headers: { authorization: `Bearer ${readOnly}` },
      json: { token: fcmToken(), provider: 'fcm' },
    })
    expect(response.status).toBe(403)
    expect(await response.json()).toMatchObject({ code: 'CORE_SCOPE_DENIED' })
    expect((await call('/devices', { headers: { authorization: `Bearer ${readOnly}` } })).status).toBe(200)
  })

  it('lists devices for admins through the api', async () => {
    const list = await push.api.admin.listDevices({ userId: bob.id })
    expect(list.length).toBeGreaterThan(0)
    expect(list.every((d) => d.userId === bob.id)).toBe(true)
  })

  it('disables devices not seen for staleAfter, and a refresh enables them again', async () => {
    const token = fcmToken()
    const device = await (
      await call('/devices', { method: 'POST', headers: ada.auth, json: { token, provider: 'fcm' } })
    ).json()
    await t.db.query("update push.devices set last_seen_at = now() - interval '90 days' where id = $1", [
      device.id,
    ])
    expect(await push.api.admin.disableStale()).toBeGreaterThanOrEqual(1)
    const stale = await (await call(`/devices/${device.id}`, { headers: ada.auth })).json()
    expect(stale.disabled_reason).toBe('stale')
    const back = await (
      await call('/devices', { method: 'POST', headers: ada.auth, json: { token, provider: 'fcm' } })
    ).json()
    expect(back).toMatchObject({ id: device.id, disabled_at: null, disabled_reason: null })
  })
})
