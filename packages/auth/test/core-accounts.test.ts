import bcrypt from 'bcryptjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthError, type AuthMailer, type AuthMailMessage } from '../src/index'
import { type CoreStack, createCoreStack } from './core-support'

/**
 * A mailer with the `Mail.send(tx, message)` shape that writes the message into a table on the
 * caller's transaction: what @groundwork/mail's outbox does, so a rolled-back request leaves no mail.
 */
const outboxMailer: AuthMailer = {
  async send(tx, message: AuthMailMessage) {
    await tx.query('insert into public.test_outbox (recipient, template, variables) values ($1, $2, $3)', [
      message.to,
      message.template,
      JSON.stringify(message.variables),
    ])
  },
}

let stack: CoreStack

beforeAll(async () => {
  stack = await createCoreStack({
    mailerAutoconfirm: false,
    securePasswordChange: true,
    mail: outboxMailer,
    additionalRedirectUrls: ['https://*.example.org/**'],
    hooks: {
      beforeSignUp({ email, userMetadata }) {
        if (email?.endsWith('@blocked.test')) {
          throw new AuthError('email_address_not_authorized', 'Email address not authorized', { status: 403 })
        }
        return { userMetadata: { ...userMetadata, plan: 'free' } }
      },
      afterSignUp({ user }) {
        if (user.email === 'rollback@example.com') throw new Error('downstream failure')
      },
      customAccessTokenClaims({ claims, user }) {
        return { ...claims, tenant: 'acme', user_role: user.raw_app_meta_data.user_role ?? 'member' }
      },
    },
  })
  await stack.t.db.query(
    'create table public.test_outbox (id serial primary key, recipient text, template text, variables jsonb, created_at timestamptz default now())',
  )
})
afterAll(async () => {
  await stack.close()
})

/** Ends the per-address mail throttle windows (as if `emailFrequencySeconds` had passed). */
async function forgetMailRequests() {
  await stack.t.db.query("delete from auth.rate_limits where key like 'mailfreq:%'")
}

/** The keys and value types of a JSON value, recursively: what a body reveals besides values. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape)
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).map(([key, item]) => [key, shape(item)])
  }
  return typeof value
}

async function mailsTo(recipient: string) {
  const { rows } = await stack.t.db.query<{ template: string; variables: Record<string, string> }>(
    'select template, variables from public.test_outbox where recipient = $1 order by id',
    [recipient],
  )
  return rows
}

describe('sign-up with email confirmation', () => {
  it('creates an unconfirmed user, mails a confirmation link and code, and stores only hashes', async () => {
    const { data, error } = await stack.client().signUp({
      email: 'confirm@example.com',
      password: 'correct horse',
      options: { emailRedirectTo: 'https://app.example.org/welcome', data: { name: 'C' } },
    })
    expect(error).toBeNull()
    expect(data.session).toBeNull()
    expect(data.user?.email_confirmed_at).toBeUndefined()
    expect(data.user?.confirmation_sent_at).toBeTruthy()
    expect(data.user?.user_metadata).toMatchObject({ name: 'C', plan: 'free' })
    const [mail] = await mailsTo('confirm@example.com')
    expect(mail?.template).toBe('confirm_signup')
    const link = new URL(mail?.variables.confirmation_url as string)
    expect(link.origin + link.pathname).toBe('http://app.test:3000/auth/v1/verify')
    expect(link.searchParams.get('type')).toBe('signup')
    expect(link.searchParams.get('redirect_to')).toBe('https://app.example.org/welcome')
    expect(link.searchParams.get('token')).toBe(mail?.variables.token_hash)
    expect(mail?.variables.token).toMatch(/^\d{6}$/)
    const { rows } = await stack.t.db.query<{ token_hash: string }>(
      'select token_hash from auth.one_time_tokens',
    )
    expect(rows).toHaveLength(1)
    expect(rows[0]?.token_hash).not.toBe(mail?.variables.token_hash)
    // Unconfirmed users cannot sign in yet.
    const signIn = await stack
      .client()
      .signInWithPassword({ email: 'confirm@example.com', password: 'correct horse' })
    expect(signIn.error?.code).toBe('email_not_confirmed')
  })

  it('falls back to the site URL for a redirect outside the allow-list', async () => {
    await stack.client().signUp({
      email: 'redirect@example.com',
      password: 'correct horse',
      options: { emailRedirectTo: 'https://evil.test/steal' },
    })
    const [mail] = await mailsTo('redirect@example.com')
    expect(new URL(mail?.variables.confirmation_url as string).searchParams.get('redirect_to')).toBe(
      'http://app.test:3000',
    )
  })

  it('throttles a repeated confirmation mail (over_email_send_rate_limit)', async () => {
    const { error } = await stack.client().signUp({ email: 'confirm@example.com', password: 'correct horse' })
    expect(error?.status).toBe(429)
    expect(error?.code).toBe('over_email_send_rate_limit')
  })

  it('answers a sign-up for a confirmed address like a new one, without mailing or revealing it', async () => {
    const fresh = await stack.client().signUp({ email: 'taken@example.com', password: 'correct horse' })
    await stack.t.db.query(
      "update auth.users set email_confirmed_at = now() where email = 'taken@example.com'",
    )
    await forgetMailRequests()
    const { rows: before } = await stack.t.db.query(
      "select id from auth.users where email = 'taken@example.com'",
    )
    const { data, error } = await stack
      .client()
      .signUp({ email: 'taken@example.com', password: 'another one' })
    expect(error).toBeNull()
    expect(data.user?.id).not.toBe(before[0]?.id)
    // Not GoTrue's tell-tale `role: ""` and `identities: []`: the very shape of a new sign-up.
    expect(shape(data.user)).toEqual(shape(fresh.data.user))
    expect(data.user?.identities).toHaveLength(1)
    expect(await mailsTo('taken@example.com')).toHaveLength(1)
  })

  it('rolls back the account and its mail when afterSignUp throws', async () => {
    const { error } = await stack
      .client()
      .signUp({ email: 'rollback@example.com', password: 'correct horse' })
    expect(error?.status).toBe(500)
    const { rows } = await stack.t.db.query("select id from auth.users where email = 'rollback@example.com'")
    expect(rows).toHaveLength(0)
    expect(await mailsTo('rollback@example.com')).toHaveLength(0)
  })

  it('lets beforeSignUp refuse with its own GoTrue error', async () => {
    const { error } = await stack.client().signUp({ email: 'x@blocked.test', password: 'correct horse' })
    expect(error?.status).toBe(403)
    expect(error?.code).toBe('email_address_not_authorized')
  })

  it('mails an email change (to the new address) when an anonymous user adds an email', async () => {
    const client = stack.client()
    const anon = await client.signInAnonymously()
    expect(anon.error).toBeNull()
    const { data, error } = await client.updateUser({ email: 'upgraded@example.com' })
    expect(error).toBeNull()
    expect(data.user?.new_email).toBe('upgraded@example.com')
    const [mail] = await mailsTo('upgraded@example.com')
    expect(mail?.template).toBe('email_change')
    expect(new URL(mail?.variables.confirmation_url as string).searchParams.get('type')).toBe('email_change')
  })
})

describe('GoTrue rules on existing accounts and PUT /user', () => {
  it('does not let a second sign-up of a pending address change its password', async () => {
    await stack.client().signUp({ email: 'pending@example.com', password: 'first owner' })
    await forgetMailRequests()
    const { error } = await stack
      .client()
      .signUp({ email: 'pending@example.com', password: 'second claimant' })
    expect(error).toBeNull()
    expect(await mailsTo('pending@example.com')).toHaveLength(2)
    await stack.t.db.query(
      "update auth.users set email_confirmed_at = now() where email = 'pending@example.com'",
    )
    const claimant = await stack
      .client()
      .signInWithPassword({ email: 'pending@example.com', password: 'second claimant' })
    expect(claimant.error?.code).toBe('invalid_credentials')
    const owner = await stack
      .client()
      .signInWithPassword({ email: 'pending@example.com', password: 'first owner' })
    expect(owner.error).toBeNull()
  })

  it('refuses app_metadata from a user token, and a password for an anonymous user without email', async () => {
    const client = stack.client()
    await client.signInAnonymously()
    const token = (await client.getSession()).data.session?.access_token
    const headers = { authorization: `Bearer ${token}`, 'X-Supabase-Api-Version': '2024-01-01' }
    const appMeta = await stack.request('PUT', '/user', {
      body: { app_metadata: { role: 'admin' } },
      headers,
    })
    expect(appMeta.status).toBe(403)
    expect((await appMeta.json()).code).toBe('not_admin')
    const password = await client.updateUser({ password: 'anonymous password' })
    expect(password.error?.code).toBe('validation_failed')
    expect(password.error?.status).toBe(422)
  })

  it('requires a reauthentication nonce to change the password in an old session (securePasswordChange)', async () => {
    await stack.client().signUp({ email: 'reauth@example.com', password: 'correct horse' })
    await stack.t.db.query(
      "update auth.users set email_confirmed_at = now() where email = 'reauth@example.com'",
    )
    const client = stack.client()
    await client.signInWithPassword({ email: 'reauth@example.com', password: 'correct horse' })
    // A fresh session may change it directly; an old one (> 24 h) needs the nonce.
    await stack.t.db.query(
      "update auth.sessions s set created_at = now() - interval '2 days' from auth.users u where u.id = s.user_id and u.email = 'reauth@example.com'",
    )
    const without = await client.updateUser({ password: 'new horse one' })
    expect(without.error?.code).toBe('reauthentication_needed')
    expect((await client.reauthenticate()).error).toBeNull()
    const mail = (await mailsTo('reauth@example.com')).find((m) => m.template === 'reauthentication')
    expect(mail?.variables.token).toMatch(/^\d{6}$/)
    const wrongNonce = await client.updateUser({
      password: 'new horse one',
      nonce: '000000' === mail?.variables.token ? '111111' : '000000',
    })
    expect(wrongNonce.error?.code).toBe('reauthentication_not_valid')
    const ok = await client.updateUser({ password: 'new horse one', nonce: mail?.variables.token as string })
    expect(ok.error).toBeNull()
    // The nonce is single-use.
    const replay = await client.updateUser({
      password: 'new horse two',
      nonce: mail?.variables.token as string,
    })
    expect(replay.error?.code).toBe('reauthentication_not_valid')
  })
})

describe('imported users and password hashing', () => {
  it('loads a row with the full column list of a Supabase auth.users export and blanks its plaintext tokens', async () => {
    const hash = bcrypt.hashSync('exported secret', 10)
    // The column list pg_dump writes for Supabase's auth.users (confirmed_at is generated, so absent).
    await stack.t.db.query(
      `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, invited_at,
         confirmation_token, confirmation_sent_at, recovery_token, recovery_sent_at, email_change_token_new, email_change,
         email_change_sent_at, last_sign_in_at, raw_app_meta_data, raw_user_meta_data, is_super_admin, created_at,
         updated_at, phone, phone_confirmed_at, phone_change, phone_change_token, phone_change_sent_at,
         email_change_token_current, email_change_confirm_status, banned_until, reauthentication_token,
         reauthentication_sent_at, is_sso_user, deleted_at, is_anonymous)
       values ('00000000-0000-0000-0000-000000000000', 'b5f1a0de-0000-4000-8000-000000000001', 'authenticated',
         'authenticated', 'exported@example.com', $1, now(), null, 'plain-confirmation-token', now(), '', null, '', '',
         null, null, '{"provider":"email","providers":["email"]}', '{"name":"Exported"}', null, now(), now(), null, null,
         '', '', null, '', 0, null, '', null, false, null, false)`,
      [hash],
    )
    const { rows } = await stack.t.db.query<{ confirmation_token: string | null }>(
      "select confirmation_token from auth.users where email = 'exported@example.com'",
    )
    expect(rows[0]?.confirmation_token).toBeNull()
    const { data, error } = await stack
      .client()
      .signInWithPassword({ email: 'exported@example.com', password: 'exported secret' })
    expect(error).toBeNull()
    expect(data.user).toMatchObject({
      id: 'b5f1a0de-0000-4000-8000-000000000001',
      user_metadata: { name: 'Exported' },
    })
  })

  it('signs in a user imported with a bcrypt hash (Supabase export) and rehashes it with scrypt', async () => {
    const hash = bcrypt.hashSync('imported secret', 10)
    expect(hash.startsWith('$2')).toBe(true)
    const { rows } = await stack.t.db.query<{ id: string }>(
      `insert into auth.users (email, encrypted_password, email_confirmed_at, raw_app_meta_data)
       values ('imported@example.com', $1, now(), '{"provider":"email","providers":["email"],"user_role":"admin"}') returning id`,
      [hash],
    )
    const client = stack.client()
    const { data, error } = await client.signInWithPassword({
      email: 'imported@example.com',
      password: 'imported secret',
    })
    expect(error).toBeNull()
    expect(data.user?.id).toBe(rows[0]?.id)
    const stored = await stack.t.db.query<{ encrypted_password: string }>(
      'select encrypted_password from auth.users where id = $1',
      [rows[0]?.id],
    )
    expect(stored.rows[0]?.encrypted_password).toMatch(/^\$scrypt\$ln=12,r=8,p=1\$/)
    // The new hash verifies, the old one is gone.
    const again = await stack
      .client()
      .signInWithPassword({ email: 'imported@example.com', password: 'imported secret' })
    expect(again.error).toBeNull()
    const wrong = await stack
      .client()
      .signInWithPassword({ email: 'imported@example.com', password: 'imported secreT' })
    expect(wrong.error?.code).toBe('invalid_credentials')
    // customAccessTokenClaims added its claims.
    const { data: claims } = await client.getClaims()
    expect(claims?.claims).toMatchObject({ tenant: 'acme', user_role: 'admin', role: 'authenticated' })
  })
})
