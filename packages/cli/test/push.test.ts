import { randomUUID } from 'node:crypto'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './fixtures/run-cli'

let t: TestDatabase
const user = randomUUID()
beforeAll(async () => {
  t = await createTestDatabase()
  await t.db.query(
    `insert into push.devices (user_id, provider, token, platform, environment)
     values ($1, 'fcm', 'fcm-token-1', 'android', null), ($1, 'apns', repeat('ab', 32), 'ios', 'sandbox')`,
    [user],
  )
})
afterAll(async () => {
  await t.drop()
})

function groundwork(args: string[]) {
  return runCli(args, { DATABASE_URL: t.url })
}

describe('groundwork push', () => {
  it("lists a user's devices", async () => {
    const table = await groundwork(['push', 'devices', 'list', '--user', user])
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/^ID\s+PROVIDER\s+PLATFORM/)
    expect(table.stdout).toContain('fcm-token-1')
    const json = await groundwork(['push', 'devices', 'list', '--user', user, '--json'])
    expect(
      JSON.parse(json.stdout)
        .map((d: { provider: string }) => d.provider)
        .sort(),
    ).toEqual(['apns', 'fcm'])
  })

  it('queues a notification for the app to deliver', async () => {
    const sent = await groundwork([
      'push',
      'send',
      '--user',
      user,
      '--title',
      'Hi',
      '--body',
      'There',
      '--json',
    ])
    expect(sent.code).toBe(0)
    const { id, jobId } = JSON.parse(sent.stdout)
    const { rows } = await t.db.query(
      'select n.message, j.task_identifier from push.notifications n, graphile_worker.jobs j where n.id = $1 and j.id = $2',
      [id, jobId],
    )
    expect(rows[0]).toEqual({
      message: { notification: { title: 'Hi', body: 'There' } },
      task_identifier: 'push:fanout',
    })
  })

  it('explains its usage mistakes', async () => {
    expect((await groundwork(['push', 'send', '--title', 'Hi', '--body', 'x'])).code).toBe(2)
    expect((await groundwork(['push', 'devices', 'list'])).code).toBe(2)
    const invalid = await groundwork(['push', 'send', '--user', 'nope', '--title', 'Hi', '--body', 'x'])
    expect(invalid.code).toBe(1)
    expect(invalid.stderr).toContain('PUSH_INVALID_MESSAGE')
  })
})
