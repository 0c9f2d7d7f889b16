import { describe, expect, it } from 'vitest'
import { parseSend } from './message'
import { apnsNotification, apnsPayloadBytes } from './providers/apns-notification'
import { fcmMessage, fcmPayloadBytes } from './providers/fcm-message'

const to = { topic: 'news' }

describe('parseSend', () => {
  it('normalises recipients and keeps only the given fields', () => {
    const id = 'A0000000-0000-4000-8000-000000000001'
    expect(parseSend({ to: { userIds: [id, id.toLowerCase()] }, data: { a: 'b' } })).toEqual({
      target: { userIds: [id.toLowerCase()], deviceIds: [], topic: null },
      message: { data: { a: 'b' } },
    })
  })

  it('refuses a send with no recipient or nothing to send', () => {
    expect(() => parseSend({ to: {}, data: { a: 'b' } })).toThrow(/no recipient/)
    expect(() => parseSend({ to })).toThrow(/nothing to send/)
  })

  it('names the field of a malformed message', () => {
    expect(() => parseSend({ to: { userIds: ['x'] }, data: { a: 'b' } })).toThrow(
      /to\.userIds\.0 must be a UUID/,
    )
    expect(() => parseSend({ to, data: { a: 'b' }, ttlSeconds: 2_419_201 })).toThrow(/ttlSeconds/)
    expect(() =>
      parseSend({ to, notification: { title: 't', body: 'b', image: 'http://x.test/i.png' } }),
    ).toThrow(/notification\.image must be an https URL/)
  })

  it('refuses data keys FCM or APNs reserve', () => {
    for (const key of ['from', 'notification', 'message_type', 'google.c.a', 'gcm.x', 'aps']) {
      expect(() => parseSend({ to, data: { [key]: 'v' } })).toThrow(/reserved key/)
    }
  })

  it('refuses what Postgres cannot store (NUL, lone surrogates)', () => {
    expect(() => parseSend({ to, data: { a: 'x\u0000' } })).toThrow(/data\.a holds a NUL/)
    expect(() => parseSend({ to, apns: { aps: { k: '\ud800' } } })).toThrow(/apns\.aps\.k/)
  })

  it('checks the payload against FCM and APNs limits', () => {
    expect(() => parseSend({ to, data: { a: 'x'.repeat(4100) } })).toThrow(
      expect.objectContaining({
        code: 'PUSH_PAYLOAD_TOO_LARGE',
        details: expect.objectContaining({ provider: 'fcm' }),
      }),
    )
    // Under FCM's 4096 bytes of data, over APNs' 4096-byte JSON once the aps dictionary is added.
    expect(() =>
      parseSend({ to, data: { a: 'x'.repeat(4000) }, apns: { aps: { 'x-long': 'y'.repeat(200) } } }),
    ).toThrow(expect.objectContaining({ details: expect.objectContaining({ provider: 'apns' }) }))
    // VoIP pushes get 5120 bytes.
    const big = { to, data: { a: 'x'.repeat(3000) }, apns: { aps: { 'x-long': 'y'.repeat(1500) } } }
    expect(() => parseSend(big)).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ limit: 4096 }) }),
    )
    expect(parseSend({ ...big, apns: { ...big.apns, pushType: 'voip' } }).message.apns?.pushType).toBe('voip')
    // A message must fit both: near 4096 bytes of data, APNs' JSON overhead is what refuses it.
    expect(() => parseSend({ to, data: { a: 'x'.repeat(4090) } })).toThrow(/APNs payload is 4128 bytes/)
    expect(parseSend({ to, data: { a: 'x'.repeat(4050) } }).message.data?.a).toHaveLength(4050)
  })
})

describe('provider payloads', () => {
  const message = {
    id: 'n',
    notification: { title: 'Hi', body: 'There', image: 'https://x.test/i.png' },
    data: { k: 'v' },
    collapseKey: 'c',
    ttlSeconds: 60,
    priority: 'normal' as const,
    fcm: { android: { notification: { channel_id: 'news' } }, apns: { headers: { 'apns-priority': '10' } } },
  }

  it('builds the FCM v1 Message, caller overrides last', () => {
    expect(fcmMessage(message, 1_700_000_000_000)).toEqual({
      notification: { title: 'Hi', body: 'There', image: 'https://x.test/i.png' },
      data: { k: 'v' },
      android: { collapse_key: 'c', priority: 'NORMAL', ttl: '60s', notification: { channel_id: 'news' } },
      apns: { headers: { 'apns-collapse-id': 'c', 'apns-priority': '10', 'apns-expiration': '1700000060' } },
      webpush: { headers: { TTL: '60', Urgency: 'normal' } },
    })
    expect(fcmPayloadBytes(message)).toBe('kv'.length + 'HiThere'.length + 'https://x.test/i.png'.length)
  })

  it('builds the APNs notification: alert, data at the top level, mutable content for the image', () => {
    const notification = apnsNotification('ab', message, 'com.example.app', 1_700_000_000_000)
    expect(notification.pushType).toBe('alert')
    expect(notification.priority).toBe(5)
    expect(notification.options).toMatchObject({
      topic: 'com.example.app',
      collapseId: 'c',
      expiration: 1_700_000_060,
    })
    expect(notification.buildApnsOptions()).toEqual({
      aps: { alert: { title: 'Hi', body: 'There' }, 'mutable-content': 1 },
      k: 'v',
      image: 'https://x.test/i.png',
    })
    expect(apnsPayloadBytes(message)).toBe(JSON.stringify(notification.buildApnsOptions()).length)
  })

  it('makes a data-only message a background push at priority 5', () => {
    const notification = apnsNotification('ab', { id: 'n', data: { sync: '1' } }, undefined)
    expect(notification.pushType).toBe('background')
    expect(notification.priority).toBe(5)
    expect(notification.buildApnsOptions()).toEqual({ aps: { 'content-available': 1 }, sync: '1' })
  })
})
