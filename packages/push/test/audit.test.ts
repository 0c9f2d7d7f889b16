/** `POST /send` is recorded in auth's audit log (core's `recordAudit`) with the sender. */
import { randomUUID } from 'node:crypto'
import { createTestDatabase, requestHandler, signTestToken, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPush, devProvider, type Push } from '../src/index'
import { testAuthenticate } from './helpers'

let t: TestDatabase
let push: Push
beforeAll(async () => {
  t = await createTestDatabase()
  push = createPush({ db: t.db, providers: [devProvider()], authenticate: testAuthenticate() })
})
afterAll(async () => {
  await push?.close()
  await t?.drop()
})

describe('push audit', () => {
  it('records each accepted send with its sender, and nothing for a refused one', async () => {
    const service = { authorization: `Bearer ${await signTestToken({ role: 'service_role' })}` }
    const user = {
      authorization: `Bearer ${await signTestToken({ role: 'authenticated', sub: randomUUID() })}`,
    }
    const body = JSON.stringify({ to: { topic: 'news' }, notification: { title: 'Hi', body: 'There' } })
    const headers = { 'content-type': 'application/json' }
    const sent = await requestHandler(push.handler, '/send', {
      method: 'POST',
      headers: { ...headers, ...service },
      body,
    })
    expect(sent.status).toBe(202)
    const { id } = (await sent.json()) as { id: string }
    const refused = await requestHandler(push.handler, '/send', {
      method: 'POST',
      headers: { ...headers, ...user },
      body,
    })
    expect(refused.status).toBe(403)
    const { rows } = await t.db.query<{ payload: Record<string, unknown> }>(
      `select payload from auth.audit_log_entries where payload->>'log_type' = 'push'`,
    )
    expect(rows.map((r) => r.payload)).toEqual([
      expect.objectContaining({
        action: 'push.sent',
        actor_username: 'service_role',
        traits: { notification_id: id, users: 0, devices: 0, topic: 'news' },
      }),
    ])
  })
})
