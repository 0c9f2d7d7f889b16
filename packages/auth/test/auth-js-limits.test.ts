import { SEND_TASK } from '@groundwork/mail'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthError } from '../src/index'
import { TEST_SCRYPT } from './core-support'
import { createStack, type Stack } from './support/stack'

// Limits, races and transactions of the email flows: GoTrue's per-user mail frequency
// (SMTP_MAX_FREQUENCY), per-IP limits on /otp and /verify held in Postgres, single use of a code
// under concurrency, and mail enqueued in the same transaction as the state change.

let s: Stack
beforeAll(async () => {
  s = await createStack({
    // Sign-in limits count failed passwords: a cheap hash keeps those tests quick.
    scrypt: TEST_SCRYPT,
    rateLimits: {
      emailFrequencySeconds: 60,
      emailSent: false,
      otp: { max: 3, windowSeconds: 60 },
      verify: { max: 4, windowSeconds: 60 },
      signIn: { max: 15, windowSeconds: 60 },
    },
    hooks: {
      afterSignUp: ({ user }) => {
        if (user.email?.startsWith('rollback-'))
          throw new AuthError('validation_failed', 'refused by hook', { status: 400 })
      },
    },
  })
})
afterAll(async () => {
  await s?.close()
})

const post = (path: string, body: unknown, ip: string) =>
  fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      apikey: s.anonKey,
      'x-forwarded-for': ip,
      'x-supabase-api-version': '2024-01-01',
    },
    body: JSON.stringify(body),
  })

describe('limits', () => {
  it('refuses a second magic link to the same user within the frequency window (over_email_send_rate_limit)', async () => {
    const email = `freq-${Date.now()}@example.com`
    await s.admin().createUser({ email, email_confirm: true })
    expect((await post('/otp', { email }, '10.0.0.1')).status).toBe(200)
    const second = await post('/otp', { email }, '10.0.0.1')
    expect(second.status).toBe(429)
    expect(await second.json()).toMatchObject({
      code: 'over_email_send_rate_limit',
      message: expect.stringMatching(
        /^For security purposes, you can only request this after \d+ seconds\.$/,
      ),
    })
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0)
    // Recovery shares the window with magic links, as in GoTrue.
    expect((await post('/recover', { email }, '10.0.0.1')).status).toBe(429)
  })

  it('limits /otp per IP with over_request_rate_limit and Retry-After, other IPs unaffected', async () => {
    const ip = '10.0.0.2'
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await post('/otp', { email: `ip-${i}-${Date.now()}@example.com`, create_user: false }, ip)).status,
      )
    }
    expect(statuses).toEqual([200, 200, 200, 429])
    const limited = await post('/otp', { email: 'x@example.com', create_user: false }, ip)
    expect(limited.headers.get('x-sb-error-code')).toBe('over_request_rate_limit')
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await post('/otp', { email: 'y@example.com', create_user: false }, '10.0.0.3')).status).toBe(200)
  })

  it('limits /verify per IP, so codes cannot be brute-forced from one address', async () => {
    const ip = '10.0.0.4'
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      const response = await post(
        '/verify',
        { type: 'email', email: 'nobody@example.com', token: '123456' },
        ip,
      )
      statuses.push(response.status)
    }
    expect(statuses).toEqual([403, 403, 403, 403, 429])
  })
  it('also limits /verify per address, so guessing spread over many IPs stops too', async () => {
    const email = `spread-${Date.now()}@example.com`
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      const response = await post('/verify', { type: 'email', email, token: '123456' }, `10.0.2.${i}`)
      statuses.push(response.status)
    }
    expect(statuses).toEqual([403, 403, 403, 403, 429])
  })
})

describe('sign-in lockout', () => {
  it('locks out the address that failed, never the account: the right password from another address signs in', async () => {
    const email = `lockout-${Date.now()}@example.com`
    await s.admin().createUser({ email, password: 'correct horse', email_confirm: true })
    const token = (body: unknown, ip: string) => post('/token?grant_type=password', body, ip)
    const statuses: number[] = []
    for (let i = 0; i < 12; i++)
      statuses.push((await token({ email, password: `wrong ${i}` }, '10.0.3.1')).status)
    // signInPerEmail (10 per 5 min) now counts per (address, account).
    expect(statuses).toEqual([...Array(10).fill(400), 429, 429])
    // The attacker's address stays locked out of this account, even with the right password…
    expect((await token({ email, password: 'correct horse' }, '10.0.3.1')).status).toBe(429)
    // …and the user, elsewhere, signs in (before: 429 for everyone for five minutes).
    const own = await token({ email, password: 'correct horse' }, '10.0.3.2')
    expect(own.status).toBe(200)
    expect(await own.json()).toMatchObject({ user: { email } })
  })

  it('keeps the per-address limit across accounts (signIn, here 15 per minute)', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 16; i++) {
      const email = `spray-${i}-${Date.now()}@example.com`
      statuses.push(
        (await post('/token?grant_type=password', { email, password: 'guess' }, '10.0.3.3')).status,
      )
    }
    expect(statuses.slice(0, 15).every((status) => status === 400)).toBe(true)
    expect(statuses[15]).toBe(429)
  })
})

describe('single use under concurrency', () => {
  it('of ten concurrent verifications of one link token exactly one gets a session', async () => {
    const email = `race-${Date.now()}@example.com`
    await s.admin().createUser({ email, email_confirm: true })
    const { data } = await s.admin().generateLink({ type: 'magiclink', email })
    const tokenHash = data.properties?.hashed_token ?? ''
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        post('/verify', { type: 'magiclink', token_hash: tokenHash }, `10.0.1.${i}`).then(
          (response) => response.status,
        ),
      ),
    )
    expect(results.filter((status) => status === 200)).toHaveLength(1)
    expect(results.filter((status) => status === 403)).toHaveLength(9)
    const { rows } = await s.t.db.query(
      'select count(*)::int as n from auth.sessions where user_id = (select id from auth.users where email = $1)',
      [email],
    )
    expect(rows[0]).toEqual({ n: 1 })
  })
})

describe('transactional outbox', () => {
  it('a sign-up rolled back by a hook leaves neither an account nor a mail', async () => {
    const email = `rollback-${Date.now()}@example.com`
    const response = await post('/otp', { email }, '10.0.0.6')
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ code: 'validation_failed', message: 'refused by hook' })
    const { rows } = await s.t.db.query('select 1 from auth.users where email = $1', [email])
    expect(rows).toHaveLength(0)
    // Once every queued mail job has run, none went to this address.
    for (let i = 0; i < 100; i++) {
      const { rows: pending } = await s.t.db.query<{ n: number }>(
        'select count(*)::int as n from graphile_worker.jobs where task_identifier = $1',
        [SEND_TASK],
      )
      if (pending[0]?.n === 0) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(await s.mails(email)).toHaveLength(0)
  })
})
