import { createJwtAuthenticator } from '@groundwork/core'
import {
  createTestDatabase,
  HOSTILE,
  postOversizeBody,
  signTestToken,
  TEST_JWT_SECRET,
  type TestDatabase,
} from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRealtime, type Realtime } from '../src/index'

let test: TestDatabase
let realtime: Realtime
let service: string

beforeAll(async () => {
  test = await createTestDatabase()
  realtime = createRealtime({
    db: test.db,
    authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
  })
  await realtime.start()
  service = await signTestToken({ role: 'service_role' })
})

afterAll(async () => {
  await realtime?.close()
  await test?.drop()
})

describe('request body limits', () => {
  it.each([
    ['POST /broadcast', '/broadcast'],
    ['POST /stream', '/stream'],
    ['POST /tables (admin)', '/tables'],
    ['POST /prune (admin)', '/prune'],
  ])('%s: a body past maxBodyBytes is 413 while streaming, without buffering it', async (_, path) => {
    const result = await postOversizeBody({
      handler: realtime.handler,
      path,
      limit: 64 * 1024,
      headers: { authorization: `Bearer ${service}` },
    })
    expect(result.status).toBe(413)
    expect(result.body).toMatchObject({ code: 'HTTP_PAYLOAD_TOO_LARGE', message: expect.any(String) })
    expect(result.rssGrowth).toBeLessThan(20 * 1024 * 1024)
  })

  it('answers 100,000-deep JSON to /broadcast with a 4xx, never a 500', async () => {
    const post = (body: string) =>
      realtime.handler(
        new Request('http://localhost/broadcast', {
          method: 'POST',
          headers: { authorization: `Bearer ${service}`, 'content-type': 'application/json' },
          body,
        }),
      )
    const deepest = await post(HOSTILE.deepJson(100_000))
    expect(deepest.status).toBeGreaterThanOrEqual(400)
    expect(deepest.status).toBeLessThan(500)
    // Under the size limit, the depth limit answers.
    const deep = await post(`{"topic":"room","event":"e","payload":${HOSTILE.deepJson(20_000)}}`)
    expect(deep.status).toBe(400)
    expect(await deep.json()).toMatchObject({ code: 'HTTP_JSON_TOO_DEEP' })
  })
})

describe('text Postgres cannot store', () => {
  it('answers a NUL in a channel topic or a table name with 400, not a 500', async () => {
    const call = (method: string, path: string, body?: unknown) =>
      realtime.handler(
        new Request(`http://localhost${path}`, {
          method,
          headers: { authorization: `Bearer ${service}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      )
    for (const response of [
      await call('GET', '/stream?channel=%00room'),
      await call('POST', '/broadcast', { topic: '\u0000room', event: 'e' }),
      await call('POST', '/tables', { table: 'public.\u0000' }),
    ]) {
      expect(response.status).toBe(400)
      expect(await response.json()).toMatchObject({ code: 'REALTIME_INVALID_REQUEST' })
    }
  })
})
