import { randomUUID } from 'node:crypto'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createJobs, defineTask } from '../src/index'
import { capturingLogger, waitFor } from './helpers'

let t: TestDatabase
beforeAll(async () => {
  t = await createTestDatabase()
})
afterAll(async () => {
  await t.drop()
})

const schema = z.object({ email: z.string(), link: z.string(), fail: z.boolean() })

/** A task whose payload carries a sign-in link; it fails (once, for good) when asked to. */
function linkTask(name: string) {
  return defineTask({
    name,
    schema,
    maxAttempts: 1,
    async run({ fail }) {
      if (fail) throw new Error('the mail server said no')
    },
  })
}

/** Runs one succeeding and one failing job of `task`, returns the log text of the whole run. */
async function runBoth(task: ReturnType<typeof linkTask>, secret: string): Promise<string> {
  const logger = capturingLogger()
  const jobs = createJobs({ db: t.db, tasks: [task], logger, pollInterval: 100 })
  await jobs.start()
  try {
    const link = `https://app.example.com/auth/v1/verify?token=${secret}&type=magiclink`
    const ok = await jobs.api.add(task.name, { email: 'ada@example.com', link, fail: false })
    const failing = await jobs.api.add(task.name, { email: 'bob@example.com', link, fail: true })
    await waitFor(async () => {
      const text = logger.text()
      return text.includes(`Completed task ${ok.id}`) && text.includes(`Failed task ${failing.id}`)
    })
  } finally {
    await jobs.close()
  }
  const text = logger.text()
  // The lines that used to carry `{ job }` are there, at their levels, with their metadata.
  expect(logger.lines.some((line) => line.level === 'info' && /Completed task/.test(line.message))).toBe(true)
  expect(logger.lines.some((line) => line.level === 'error' && /Failed task/.test(line.message))).toBe(true)
  expect(logger.lines.some((line) => line.level === 'debug')).toBe(true)
  return text
}

describe('job payloads in logs', () => {
  it('never logs a payload by default: success and failure lines carry the job without it', async () => {
    const secret = `tok_${randomUUID()}`
    const text = await runBoth(linkTask('test:link'), secret)
    expect(text).not.toContain(secret)
    expect(text).not.toContain('verify?token')
    // The job row is still there to correlate (id, task, attempts), just without its payload.
    expect(text).toMatch(/"task_identifier":"test:link"/)
    expect(text).toContain('the mail server said no')
  })

  it('logs the payload of a task that opts in with logPayload: true', async () => {
    const secret = `tok_${randomUUID()}`
    // `logPayload` is read structurally until core's TaskDefinition declares it.
    const task = { ...linkTask('test:link-logged'), logPayload: true }
    const text = await runBoth(task, secret)
    expect(text).toContain(secret)
  })
})
