/**
 * Nothing secret in the logs: the jobs runner's lines and push's own (delivery summaries, prunes,
 * retries) carry ids, counts and provider codes — never a device token or the message's text.
 */
import { inspect } from 'node:util'
import type { Logger } from '@groundwork/core'
import { createJobs, type Jobs } from '@groundwork/jobs'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPush, type Push, type PushProvider } from '../src/index'
import { fcmToken, insertDevices, testUser, waitFor } from './helpers'

let t: TestDatabase
let push: Push
let jobs: Jobs
const lines: string[] = []
const logger: Logger = Object.fromEntries(
  (['debug', 'info', 'warn', 'error'] as const).map((level) => [
    level,
    (message: string, ...args: unknown[]) =>
      lines.push(`${level} ${message} ${inspect(args, { depth: 20 })}`),
  ]),
) as unknown as Logger

const SECRET_TITLE = 'Your code is 271828'
const tokens = { live: fcmToken(), dead: fcmToken(), flaky: fcmToken() }
let flakyCalls = 0
/** A provider answering by token: sent, pruned, or one retryable failure then sent. */
const scripted: PushProvider = {
  name: 'scripted',
  handles: ['fcm'],
  async send(device) {
    if (device.token === tokens.dead)
      return { outcome: 'prune', code: 'UNREGISTERED', message: 'gone', status: 404 }
    if (device.token === tokens.flaky && flakyCalls++ === 0) {
      return { outcome: 'retry', code: 'UNAVAILABLE', message: 'try later', status: 503, retryAfterMs: 100 }
    }
    return { outcome: 'sent', providerMessageId: 'm' }
  },
}

beforeAll(async () => {
  t = await createTestDatabase()
  push = createPush({ db: t.db, providers: [scripted], logger })
  jobs = createJobs({ db: t.db, tasks: push.tasks, pollInterval: 100, logger })
  await jobs.start()
})
afterAll(async () => {
  await jobs?.close()
  await push?.close()
  await t?.drop()
})

describe('push logging', () => {
  it('logs outcomes by code, never tokens or message text', async () => {
    const user = await testUser()
    await insertDevices(
      t.db,
      Object.values(tokens).map((token) => ({ userId: user.id, provider: 'fcm' as const, token })),
    )
    const { id } = await push.api.send({
      to: { userIds: [user.id] },
      notification: { title: SECRET_TITLE, body: 'secret body text' },
      data: { otp: '271828' },
    })
    await waitFor(async () => {
      const status = await push.api.notification(id, { limit: 0 })
      return status?.counts.pending === 0 && status.counts.sent === 2 ? status : null
    }, 30_000)
    const text = lines.join('\n')
    expect(text).toContain('UNREGISTERED')
    expect(text).toContain('UNAVAILABLE')
    for (const secret of [...Object.values(tokens), SECRET_TITLE, 'secret body text', '271828']) {
      expect(text).not.toContain(secret)
    }
  }, 40_000)
})
