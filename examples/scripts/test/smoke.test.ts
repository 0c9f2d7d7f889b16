/**
 * Smoke flow of the scripts example on a database of its own: migrate, create a user with an API
 * key, mail and push them, and let the job runner deliver both — then check that the key
 * authenticates as that user, narrowed as asked.
 */
import { createDatabase, type Database } from '@groundwork/core'
import { createTestDatabase, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createScriptServices,
  createUserWithKey,
  notifyUser,
  type ScriptServices,
  sendWelcomeMail,
} from '../src/index'

let database: TestDatabase
let db: Database
let services: ScriptServices

beforeAll(async () => {
  // An empty database: the script applies the migrations itself.
  database = await createTestDatabase({ migrated: false })
  db = createDatabase({ connectionString: database.url })
  services = createScriptServices({ db, jwtSecret: TEST_JWT_SECRET })
})

afterAll(async () => {
  await services?.close()
  await db?.close()
  await database?.drop()
})

async function until<T>(read: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const value = await read()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('examples/scripts', () => {
  it('migrates, creates a user and a key, and delivers mail and push through jobs', async () => {
    expect(await services.migrate()).toBeGreaterThan(0)
    expect(await services.migrate()).toBe(0) // idempotent

    const email = `script+${Date.now()}@example.com`
    const { user, key } = await createUserWithKey(services, {
      email,
      password: 'a long password 123',
      tables: ['public.todos'],
    })
    expect(user.email_confirmed_at).toBeTruthy()
    expect(key.key).toMatch(/^gw_app_/)

    // The key authenticates as the user, with the scopes and tables it was given.
    const principal = await services.auth.authenticate(
      new Request('http://x/', { headers: { apikey: key.key } }),
    )
    expect(principal.claims.sub).toBe(user.id)
    expect(principal.scopes).toEqual(['read', 'write'])

    await sendWelcomeMail(services, user)
    const notification = await notifyUser(services, user, `device-${user.id}`)
    await services.jobs.start()

    const [mail] = await until(async () => {
      const messages = await services.mail.api.outbox.list({ to: email })
      return messages.length > 0 ? messages : undefined
    }, 'the welcome mail')
    expect(mail?.subject).toBe(`Welcome, ${email}`)
    const [push] = await until(async () => {
      const pushes = await services.push.api.dev.list({ userId: user.id })
      return pushes.length > 0 ? pushes : undefined
    }, 'the push')
    expect(push).toMatchObject({ notificationId: notification, token: `device-${user.id}`, provider: 'fcm' })
  })
})
