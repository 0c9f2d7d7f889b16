import { randomUUID } from 'node:crypto'
import { type AnyTaskDefinition, createJobs } from '@groundwork/jobs'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMail, type Mail, outboxTransport, type Transport } from '../src/index'
import { capturingLogger, waitFor } from './helpers'

let t: TestDatabase
beforeAll(async () => {
  t = await createTestDatabase()
})
afterAll(async () => {
  await t.drop()
})

/** The outbox, except that mail to `bounce@…` fails (with a message that quotes no mail). */
function bouncingOutbox(): Transport {
  const outbox = outboxTransport()
  return {
    name: 'bouncing-outbox',
    async send(message, ctx) {
      if (message.to.some((to) => to.startsWith('bounce@'))) throw new Error('550 mailbox unavailable')
      return outbox.send(message, ctx)
    },
  }
}

/**
 * Sends a magic-link mail that is delivered and one that fails for good, through a jobs runner
 * logging everything to a capturing logger; returns the log text and the run-history rows.
 */
async function sendBoth(secret: string, code: string, tasks: (mail: Mail) => AnyTaskDefinition[]) {
  const logger = capturingLogger()
  const mail = createMail({
    db: t.db,
    transport: bouncingOutbox(),
    from: 'no-reply@example.com',
    logger,
    maxAttempts: 1,
  })
  const jobs = createJobs({ db: t.db, tasks: tasks(mail), logger, pollInterval: 100 })
  await jobs.start()
  const variables = {
    confirmation_url: `https://app.example.com/auth/v1/verify?token=${secret}&type=magiclink`,
    token: code,
  }
  try {
    const ok = await mail.api.send({ template: 'magic_link', to: 'ada@example.com', variables })
    const bounced = await mail.api.send({ template: 'magic_link', to: 'bounce@example.com', variables })
    await waitFor(async () => {
      const text = logger.text()
      return text.includes(`Completed task ${ok.jobId} `) && text.includes(`Failed task ${bounced.jobId} `)
    })
  } finally {
    await jobs.close()
    await mail.close()
  }
  const { rows } = await t.db.query<{ row: string }>(
    "select row_to_json(r)::text as row from jobs.runs r where task = 'mail:send'",
  )
  return { text: logger.text(), runs: rows.map((r) => r.row) }
}

describe('mail:send secrets in logs and history', () => {
  it('never logs or records the magic link or code, whether delivery succeeds or fails', async () => {
    const secret = `tok_${randomUUID()}`
    const code = `otp-${randomUUID().slice(0, 8)}`
    const { text, runs } = await sendBoth(secret, code, (mail) => [...mail.tasks])
    // The lines are there (at info, error, debug, warn), just without the payload.
    expect(text).toMatch(/^info graphile-worker\[worker\]: Completed task \d+ \(mail:send/m)
    expect(text).toMatch(
      /^error graphile-worker\[worker\]: Failed task \d+ \(mail:send.*550 mailbox unavailable/m,
    )
    expect(text).toMatch(/^debug groundwork mail: "magic_link" to ada@example.com sent via bouncing-outbox/m)
    expect(text).toMatch(/^error groundwork mail: "magic_link" to bounce@example.com failed/m)
    expect(text).not.toContain(secret)
    expect(text).not.toContain(code)
    expect(text).not.toContain('verify?token')
    // mail:send does not record its payload in jobs.runs either.
    expect(runs.length).toBeGreaterThanOrEqual(2)
    for (const run of runs) {
      expect(JSON.parse(run)).toMatchObject({ payload: null })
      expect(run).not.toContain(secret)
    }
  })

  it('logs the payload only when the task opts in with logPayload: true', async () => {
    const secret = `tok_${randomUUID()}`
    const code = `otp-${randomUUID().slice(0, 8)}`
    const { text } = await sendBoth(secret, code, (mail) =>
      mail.tasks.map((task) => ({ ...task, logPayload: true })),
    )
    expect(text).toContain(secret)
  })
})
