import { randomBytes } from 'node:crypto'
import { createAuth } from '@groundwork/auth'
import { createSecretBox } from '@groundwork/core'
import { createOAuthProvider } from '@groundwork/oauth-provider'
import { createTestDatabase, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import { createWebhooks } from '@groundwork/webhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './fixtures/run-cli'

let t: TestDatabase
beforeAll(async () => {
  t = await createTestDatabase()
  await t.db.query('create table public.events (id int primary key)')
})
afterAll(async () => {
  await t.drop()
})

function groundwork(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { DATABASE_URL: t.url, ...env })
}

async function stored() {
  const { rows } = await t.db.query<{ what: string; value: string; context: string }>(
    `select 'totp' as what, secret as value, 'auth.mfa_factors:' || user_id as context from auth.mfa_factors
     union all select 'webhook', secret, 'webhooks.secrets:' || endpoint_id from webhooks.secrets
     union all select 'jwk', private_jwk #>> '{}', 'oauth.signing_keys:' || kid from oauth.signing_keys
     order by 1`,
  )
  return rows
}

describe('groundwork secrets reseal', () => {
  it('seals values stored in the clear, then moves them to a new first key', async () => {
    // Written without keys: a TOTP seed, a webhook signing secret, an id_token signing key.
    const auth = createAuth({ db: t.db, jwt: { secret: TEST_JWT_SECRET }, siteUrl: 'http://localhost' })
    const user = await auth.api.admin.createUser({
      email: 'seal@example.com',
      password: 'password 123',
      email_confirm: true,
    })
    const { session } = await auth.api.signInWithPassword({
      email: 'seal@example.com',
      password: 'password 123',
    })
    const factor = await auth.api.mfa.enroll(session.access_token, { factorType: 'totp' })
    const webhooks = createWebhooks({ db: t.db, allowHosts: ['127.0.0.1'] })
    const endpoint = await webhooks.api.create({ url: 'http://127.0.0.1:9/h', table: 'public.events' })
    await webhooks.close()
    const oauth = createOAuthProvider({ db: t.db, auth, issuer: 'http://localhost/auth/v1' })
    await oauth.api.keys.rotate('ES256')
    const plain = await stored()
    expect(plain.map((r) => r.what)).toEqual(['jwk', 'totp', 'webhook'])
    expect(plain.every((r) => !r.value.startsWith('gwenc:'))).toBe(true)

    expect((await groundwork(['secrets', 'reseal'])).code).not.toBe(0)
    const first = randomBytes(32).toString('base64')
    const once = await groundwork(['secrets', 'reseal', '--json'], { GROUNDWORK_ENCRYPTION_KEYS: first })
    expect(once.code).toBe(0)
    expect(JSON.parse(once.stdout)).toEqual({
      'auth.mfa_factors.secret': 1,
      'webhooks.secrets.secret': 1,
      'oauth.signing_keys.private_jwk': 1,
    })
    const sealed = await stored()
    const box = createSecretBox([first])
    for (const [i, row] of sealed.entries()) {
      expect(row.value).toMatch(/^gwenc:v1:/)
      expect(box.open(row.value, row.context)).toBe((plain[i] as { value: string }).value)
    }
    expect(box.open(sealed[2]?.value as string, sealed[2]?.context as string)).toBe(endpoint.secret.secret)
    expect(factor.type).toBe('totp')

    // A new first key: everything moves to it, and the old key can be dropped.
    const second = randomBytes(32).toString('hex')
    const moved = await groundwork(['secrets', 'reseal', '--json'], {
      GROUNDWORK_ENCRYPTION_KEYS: `${second},${first}`,
    })
    expect(JSON.parse(moved.stdout)['auth.mfa_factors.secret']).toBe(1)
    const onlySecond = createSecretBox([second])
    for (const [i, row] of (await stored()).entries()) {
      expect(onlySecond.open(row.value, row.context)).toBe((plain[i] as { value: string }).value)
    }
    // Nothing stale left: a second run re-seals nothing.
    const again = await groundwork(['secrets', 'reseal', '--json'], { GROUNDWORK_ENCRYPTION_KEYS: second })
    expect(Object.values(JSON.parse(again.stdout))).toEqual([0, 0, 0])
    expect(user.id).toBeTruthy()
  }, 60_000)
})
