import { migrate } from '@groundwork/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import emailCanonicalForm from '../migrations/0004_email_canonical_form.sql?raw'
import { migrations } from '../src/migrations'
import { type CoreStack, createCoreStack } from './core-support'

// Email addresses have one canonical form (NFKC, lower-cased, trimmed) for uniqueness and
// lookups, labels may not mix scripts, and bodies that are not UTF-8 never reach an account.

let stack: CoreStack
beforeAll(async () => {
  stack = await createCoreStack({
    mail: { send: async () => {} },
    // No adapter in front of the handler: each request names its client address.
    clientIp: (request) => request.headers.get('x-forwarded-for') ?? '',
  })
  // Migration 0004 (the canonical form for rows written before, and by direct SQL): applied here
  // when the registered set does not carry it yet, a no-op once it does.
  const registered = migrations.migrations.some((migration) => migration.id === 4)
  await migrate(stack.t.db, [
    registered
      ? migrations
      : {
          name: migrations.name,
          migrations: [
            ...migrations.migrations,
            { id: 4, name: '0004_email_canonical_form', sql: emailCanonicalForm },
          ],
        },
  ])
})
afterAll(async () => {
  await stack.close()
})

const V2024 = { 'x-supabase-api-version': '2024-01-01' }
const post = (path: string, body: unknown) => stack.request('POST', path, { body, headers: V2024 })

async function accountsLike(pattern: string) {
  const { rows } = await stack.t.db.query<{ id: string; email: string }>(
    'select id, email from auth.users where email like $1 order by email',
    [pattern],
  )
  return rows
}

describe('full-width and other compatibility look-alikes are the same address', () => {
  it('signs in to full@example.com with ｆｕｌｌ＠ｅｘａｍｐｌｅ．ｃｏｍ', async () => {
    const signUp = await post('/signup', { email: 'full@example.com', password: 'correct horse' })
    expect(signUp.status).toBe(200)
    const { user } = await signUp.json()
    const signIn = await post('/token?grant_type=password', {
      email: 'ｆｕｌｌ＠ｅｘａｍｐｌｅ．ｃｏｍ',
      password: 'correct horse',
    })
    expect(signIn.status).toBe(200)
    expect((await signIn.json()).user).toMatchObject({ id: user.id, email: 'full@example.com' })
  })

  it('does not create a second, look-alike account on sign-up', async () => {
    const again = await post('/signup', {
      email: 'ｆｕｌｌ＠ｅｘａｍｐｌｅ．ｃｏｍ',
      password: 'correct horse',
    })
    // With mailerAutoconfirm (this stack) a confirmed address is GoTrue's user_already_exists.
    expect(again.status).toBe(422)
    expect(await again.json()).toMatchObject({ code: 'user_already_exists' })
    const admin = stack.auth.api.admin.createUser({ email: 'ＦＵＬＬ@example.com' })
    await expect(admin).rejects.toMatchObject({ errorCode: 'email_exists' })
    expect(await accountsLike('%ull@%')).toHaveLength(1)
    const { rows } = await stack.t.db.query(
      "select 1 from auth.users where email <> 'full@example.com' and email like '%ｆ%'",
    )
    expect(rows).toHaveLength(0)
  })

  it('keeps José@example.com working, in any case and composition', async () => {
    const signUp = await post('/signup', { email: 'José@example.com', password: 'correct horse' })
    expect(signUp.status).toBe(200)
    expect((await signUp.json()).user.email).toBe('josé@example.com')
    for (const email of ['JOSÉ@EXAMPLE.COM', 'Jose\u0301@example.com']) {
      const signIn = await post('/token?grant_type=password', { email, password: 'correct horse' })
      expect(signIn.status, email).toBe(200)
    }
  })
})

describe('addresses that mix scripts in one label are refused', () => {
  const PAYPAL = 'раypal@example.com' // Cyrillic р and а

  it('refuses раypal@example.com on sign-up with 400 email_address_invalid', async () => {
    const response = await post('/signup', { email: PAYPAL, password: 'correct horse' })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ code: 'email_address_invalid' })
    expect(await accountsLike('%ypal@%')).toHaveLength(0)
  })

  it('refuses it for a passwordless sign-up (/otp), an admin, an invite and an email change', async () => {
    const otp = await post('/otp', { email: PAYPAL })
    expect(otp.status).toBe(400)
    expect(await otp.json()).toMatchObject({ code: 'email_address_invalid' })
    const created = stack.request('POST', '/admin/users', {
      body: { email: PAYPAL },
      headers: { ...V2024, authorization: `Bearer ${stack.serviceKey}` },
    })
    expect(await (await created).json()).toMatchObject({ code: 'email_address_invalid' })
    await expect(stack.auth.api.admin.inviteUserByEmail(PAYPAL)).rejects.toMatchObject({
      errorCode: 'email_address_invalid',
    })
    const { session } = await stack.auth.api.signUp({
      email: 'changer@example.com',
      password: 'correct horse',
    })
    await expect(
      stack.auth.api.updateUser(session?.access_token ?? '', { email: PAYPAL }),
    ).rejects.toMatchObject({ errorCode: 'email_address_invalid', status: 400 })
    expect(await accountsLike('%ypal@%')).toHaveLength(0)
  })

  it('still answers /recover for it as for any address (lookups only normalise)', async () => {
    expect((await post('/recover', { email: PAYPAL })).status).toBe(200)
  })
})

describe('bodies that are not UTF-8', () => {
  it('refuses an invalid UTF-8 byte in the email with 400 bad_json and creates no \\uFFFD account', async () => {
    const prefix = new TextEncoder().encode('{"email":"')
    const suffix = new TextEncoder().encode('@example.com","password":"correct horse"}')
    const body = new Uint8Array([...prefix, 0xff, ...suffix])
    const response = await stack.auth.handler(
      new Request('http://auth.test/auth/v1/signup', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...V2024 },
        body,
      }),
    )
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ code: 'bad_json' })
    expect(await accountsLike('%\uFFFD%')).toHaveLength(0)
  })

  it('refuses a U+FFFD that arrives as a JSON escape', async () => {
    const response = await post('/signup', { email: '\uFFFD@example.com', password: 'correct horse' })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ code: 'email_address_invalid' })
    expect(await accountsLike('%\uFFFD%')).toHaveLength(0)
  })
})

describe('migration 0004: stored addresses in the canonical form', () => {
  it('canonicalises addresses written by direct SQL (imports)', async () => {
    const { rows } = await stack.t.db.query<{ email: string }>(
      "insert into auth.users (id, aud, role, email) values (gen_random_uuid(), 'authenticated', 'authenticated', ' ＩＭＰＯＲＴＥＤ＠Example.com') returning email",
    )
    expect(rows[0]?.email).toBe('imported@example.com')
  })

  it('brings older rows to the canonical form, leaving (and reporting) those that would clash', async () => {
    const db = stack.t.db
    await db.query('alter table auth.users disable trigger canonical_email')
    try {
      await db.query(
        `insert into auth.users (id, aud, role, email) values
           (gen_random_uuid(), 'authenticated', 'authenticated', 'ＬＥＧＡＣＹ@example.com'),
           (gen_random_uuid(), 'authenticated', 'authenticated', 'clash@example.com'),
           (gen_random_uuid(), 'authenticated', 'authenticated', 'ｃｌａｓｈ@example.com')`,
      )
    } finally {
      await db.query('alter table auth.users enable trigger canonical_email')
    }
    const { rows } = await db.query<{ changed: number }>('select auth.canonicalize_emails() as changed')
    expect(rows[0]?.changed).toBe(1)
    expect((await accountsLike('legacy@%')).map((row) => row.email)).toEqual(['legacy@example.com'])
    const { rows: left } = await db.query<{ email: string }>(
      'select email from auth.users where email <> auth.canonical_email(email)',
    )
    expect(left.map((row) => row.email)).toEqual(['ｃｌａｓｈ@example.com'])
    // The canonicalised account is found by any form of its address.
    expect((await stack.auth.api.admin.listUsers({ filter: 'legacy' })).users).toHaveLength(1)
    const found = await post('/token?grant_type=password', {
      email: 'ＬＥＧＡＣＹ@example.com',
      password: 'x',
    })
    expect(found.status).toBe(400) // no password: invalid_credentials, like any wrong password
  })
})
