import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url))
const LOADER = fileURLToPath(new URL('./fixtures/raw-loader.mjs', import.meta.url))

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

async function groundwork(args: string[]) {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--conditions', '@groundwork/source', '--import', 'tsx', '--import', LOADER, BIN, ...args],
      { env: { ...process.env, DATABASE_URL: t.url }, timeout: 30_000 },
    )
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
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
