import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOf, createStack, follow, fragment, linkOf, SITE_URL, type Stack } from './support/stack'

// The email flows driven by the real @supabase/auth-js against the handler on a real HTTP server;
// every link and code is read from mail delivered by the jobs runner through the outbox transport.

let s: Stack
beforeAll(async () => {
  s = await createStack({
    anonymousSignIns: true,
    // Every request comes from 127.0.0.1: per-IP limits are auth-js-limits.test.ts's subject, not this file's.
    rateLimits: {
      emailFrequencySeconds: 0,
      emailSent: false,
      signIn: false,
      signUp: false,
      verify: false,
      otp: false,
    },
  })
})
afterAll(async () => {
  await s?.close()
})

let counter = 0
const address = (tag: string) => `${tag}-${++counter}-${Date.now()}@example.com`

describe('sign-up with email confirmation', () => {
  it('mails a link whose GET /verify redirects with a session in the fragment', async () => {
    const client = s.client()
    const email = address('signup')
    const { data, error } = await client.signUp({
      email,
      password: 'correct horse battery',
      options: { emailRedirectTo: `${SITE_URL}/welcome`, data: { plan: 'free' } },
    })
    expect(error).toBeNull()
    expect(data.session).toBeNull()
    expect(data.user?.email).toBe(email)

    const mail = await s.nextMail(email)
    const link = linkOf(mail)
    expect(link.startsWith(`${s.url}/verify?`)).toBe(true)
    const params = new URL(link).searchParams
    expect(params.get('type')).toBe('signup')
    expect(params.get('redirect_to')).toBe(`${SITE_URL}/welcome`)

    const { status, location } = await follow(link)
    expect(status).toBe(303)
    expect(`${location.origin}${location.pathname}`).toBe(`${SITE_URL}/welcome`)
    const hash = fragment(location)
    expect(hash).toMatchObject({ token_type: 'bearer', type: 'signup', expires_in: '3600' })
    expect(Number(hash.expires_at)).toBeGreaterThan(Date.now() / 1000)

    const session = await client.setSession({
      access_token: hash.access_token ?? '',
      refresh_token: hash.refresh_token ?? '',
    })
    expect(session.error).toBeNull()
    const user = await client.getUser()
    expect(user.data.user?.email).toBe(email)
    expect(user.data.user?.email_confirmed_at).toBeTruthy()
    expect(user.data.user?.user_metadata).toMatchObject({ plan: 'free' })

    // Single use: the same link now redirects with GoTrue's error fragment.
    const again = await follow(link)
    expect(fragment(again.location)).toMatchObject({
      error: 'access_denied',
      error_code: 'otp_expired',
      error_description: 'Email link is invalid or has expired',
    })

    // And password sign-in works now that the address is confirmed.
    const fresh = s.client()
    const signIn = await fresh.signInWithPassword({ email, password: 'correct horse battery' })
    expect(signIn.error).toBeNull()
  })

  it('redirects to the site URL when redirect_to is not allowed (no open redirect)', async () => {
    const client = s.client()
    const email = address('evil')
    await client.signUp({
      email,
      password: 'correct horse battery',
      options: { emailRedirectTo: 'https://evil.example/steal' },
    })
    const link = linkOf(await s.nextMail(email))
    expect(new URL(link).searchParams.get('redirect_to')).toBe(SITE_URL)
    const { location } = await follow(link)
    expect(location.origin).toBe(new URL(SITE_URL).origin)
  })
})

describe('password recovery', () => {
  it('resetPasswordForEmail → link → recovery session → updateUser password', async () => {
    const email = address('recover')
    await s.admin().createUser({ email, password: 'old password 1', email_confirm: true })
    const client = s.client()
    const { error } = await client.resetPasswordForEmail(email, { redirectTo: `${SITE_URL}/reset` })
    expect(error).toBeNull()
    const mail = await s.nextMail(email)
    const { location } = await follow(linkOf(mail))
    const hash = fragment(location)
    expect(hash.type).toBe('recovery')
    expect(location.pathname).toBe('/reset')
    await client.setSession({
      access_token: hash.access_token ?? '',
      refresh_token: hash.refresh_token ?? '',
    })
    const updated = await client.updateUser({ password: 'new password 2' })
    expect(updated.error).toBeNull()

    const other = s.client()
    expect((await other.signInWithPassword({ email, password: 'old password 1' })).error?.code).toBe(
      'invalid_credentials',
    )
    expect((await other.signInWithPassword({ email, password: 'new password 2' })).error).toBeNull()
  })

  it('falls back to an allowed Referer when there is no redirect_to (GoTrue GetReferrer)', async () => {
    const email = address('referer')
    await s.admin().createUser({ email, email_confirm: true })
    const send = (referer: string) =>
      fetch(`${s.url}/recover`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', apikey: s.anonKey, referer },
        body: JSON.stringify({ email }),
      })
    await send(`${SITE_URL}/account/security`)
    const first = await s.nextMail(email)
    expect(new URL(linkOf(first)).searchParams.get('redirect_to')).toBe(`${SITE_URL}/account/security`)
    await s.t.db.query(
      "update auth.users set recovery_sent_at = now() - interval '1 hour' where email = $1",
      [email],
    )
    await send('https://elsewhere.example/page')
    const second = await s.nextMail(email, 1)
    expect(new URL(linkOf(second)).searchParams.get('redirect_to')).toBe(SITE_URL)
  })

  it('verifies the recovery code with verifyOtp({ type: "recovery" })', async () => {
    const email = address('recover-code')
    await s.admin().createUser({ email, password: 'old password 1', email_confirm: true })
    const client = s.client()
    await client.resetPasswordForEmail(email)
    const code = codeOf(await s.nextMail(email))
    const { data, error } = await client.verifyOtp({ email, token: code, type: 'recovery' })
    expect(error).toBeNull()
    expect(data.session?.user.email).toBe(email)
  })

  it('answers an unknown address exactly like a known one, and sends nothing', async () => {
    const known = address('known')
    await s.admin().createUser({ email: known, password: 'password 123', email_confirm: true })
    const unknown = address('unknown')
    const raw = async (body: unknown, path: string) => {
      const response = await fetch(`${s.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', apikey: s.anonKey },
        body: JSON.stringify(body),
      })
      return { status: response.status, body: await response.text() }
    }
    const a = await raw({ email: known }, '/recover')
    const b = await raw({ email: unknown }, '/recover')
    expect(b).toEqual(a)
    expect(a).toEqual({ status: 200, body: '{}' })
    const c = await raw({ email: known, create_user: false }, '/otp')
    const d = await raw({ email: unknown, create_user: false }, '/otp')
    expect(d).toEqual(c)
    const e = await raw({ email: known, type: 'signup' }, '/resend')
    const f = await raw({ email: unknown, type: 'signup' }, '/resend')
    expect(f).toEqual(e)
    await s.nextMail(known, 1)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await s.mails(unknown)).toHaveLength(0)
  })
})

describe('email OTP and magic links', () => {
  it('signInWithOtp → verifyOtp with the 6-digit code', async () => {
    const email = address('otp')
    await s.admin().createUser({ email, email_confirm: true })
    const client = s.client()
    const sent = await client.signInWithOtp({ email })
    expect(sent.error).toBeNull()
    const code = codeOf(await s.nextMail(email))
    expect(code).toMatch(/^\d{6}$/)

    const wrong = await client.verifyOtp({
      email,
      token: code === '000000' ? '111111' : '000000',
      type: 'email',
    })
    expect(wrong.error?.code).toBe('otp_expired')
    expect(wrong.error?.status).toBe(403)

    const { data, error } = await client.verifyOtp({ email, token: code, type: 'email' })
    expect(error).toBeNull()
    expect(data.session?.access_token).toBeTruthy()
    expect(data.user?.email).toBe(email)
    const claims = JSON.parse(
      Buffer.from((data.session?.access_token ?? '').split('.')[1] ?? '', 'base64url').toString(),
    )
    expect(claims.amr?.[0]?.method).toBe('otp')

    // Used: the same code fails.
    const reused = await client.verifyOtp({ email, token: code, type: 'email' })
    expect(reused.error?.code).toBe('otp_expired')
  })

  it('the link token cannot be derived from the address and the code (keyed, unlike GoTrue)', async () => {
    const email = address('keyed')
    await s.admin().createUser({ email, email_confirm: true })
    const client = s.client()
    await client.signInWithOtp({ email })
    const mail = await s.nextMail(email)
    const code = codeOf(mail)
    const linkToken = new URL(linkOf(mail)).searchParams.get('token') ?? ''
    const gotrue = createHash('sha224')
      .update(email + code)
      .digest('hex')
    const sha256 = createHash('sha256')
      .update(email + code)
      .digest('hex')
    expect([gotrue, sha256]).not.toContain(linkToken)
    for (const guess of [gotrue, sha256]) {
      const { error } = await client.verifyOtp({ token_hash: guess, type: 'magiclink' })
      expect(error?.code).toBe('otp_expired')
    }
    const { error } = await client.verifyOtp({ token_hash: linkToken, type: 'magiclink' })
    expect(error).toBeNull()
  })

  it('signInWithOtp → magic link → GET /verify → session', async () => {
    const email = address('magic')
    await s.admin().createUser({ email, email_confirm: true })
    const client = s.client()
    await client.signInWithOtp({ email, options: { emailRedirectTo: `${SITE_URL}/in` } })
    const link = linkOf(await s.nextMail(email))
    expect(new URL(link).searchParams.get('type')).toBe('magiclink')
    const { location } = await follow(link)
    const hash = fragment(location)
    expect(hash.type).toBe('magiclink')
    const set = await client.setSession({
      access_token: hash.access_token ?? '',
      refresh_token: hash.refresh_token ?? '',
    })
    expect(set.data.user?.email).toBe(email)
  })

  it('creates the account for a new address (create_user) and confirms it on verify', async () => {
    const email = address('new-otp')
    const client = s.client()
    await client.signInWithOtp({ email, options: { data: { source: 'otp' } } })
    const mail = await s.nextMail(email)
    const { data, error } = await client.verifyOtp({ email, token: codeOf(mail), type: 'email' })
    expect(error).toBeNull()
    expect(data.user?.email_confirmed_at).toBeTruthy()
    expect(data.user?.user_metadata).toMatchObject({ source: 'otp' })
  })

  it('does not create an account with shouldCreateUser: false, yet answers the same', async () => {
    const email = address('no-create')
    const client = s.client()
    const { error } = await client.signInWithOtp({ email, options: { shouldCreateUser: false } })
    expect(error).toBeNull()
    const { rows } = await s.t.db.query('select 1 from auth.users where email = $1', [email])
    expect(rows).toHaveLength(0)
  })

  it('rejects an expired code with otp_expired', async () => {
    const email = address('expired')
    await s.admin().createUser({ email, email_confirm: true })
    const client = s.client()
    await client.signInWithOtp({ email })
    const code = codeOf(await s.nextMail(email))
    await s.t.db.query(
      `update auth.one_time_tokens set created_at = now() - interval '2 hours'
        where user_id = (select id from auth.users where email = $1)`,
      [email],
    )
    const { error } = await client.verifyOtp({ email, token: code, type: 'email' })
    expect(error?.code).toBe('otp_expired')
    expect(error?.message).toBe('Token has expired or is invalid')
  })

  it('redirects an expired link with the error in the fragment', async () => {
    const email = address('expired-link')
    await s.admin().createUser({ email, email_confirm: true })
    await s.client().signInWithOtp({ email, options: { emailRedirectTo: `${SITE_URL}/in` } })
    const link = linkOf(await s.nextMail(email))
    await s.t.db.query(
      `update auth.one_time_tokens set created_at = now() - interval '2 hours'
        where user_id = (select id from auth.users where email = $1)`,
      [email],
    )
    const { status, location } = await follow(link)
    expect(status).toBe(303)
    expect(location.pathname).toBe('/in')
    expect(fragment(location)).toEqual({
      error: 'access_denied',
      error_code: 'otp_expired',
      error_description: 'Email link is invalid or has expired',
    })
  })

  it('verifies by token_hash (POST /verify { token_hash, type })', async () => {
    const email = address('hash')
    await s.admin().createUser({ email, email_confirm: true })
    const { data: link } = await s.admin().generateLink({ type: 'magiclink', email })
    const client = s.client()
    const { data, error } = await client.verifyOtp({
      token_hash: link.properties?.hashed_token ?? '',
      type: 'magiclink',
    })
    expect(error).toBeNull()
    expect(data.user?.email).toBe(email)
  })
})

describe('PKCE (flowType: "pkce")', () => {
  it('magic link → ?code= → exchangeCodeForSession', async () => {
    const email = address('pkce')
    await s.admin().createUser({ email, email_confirm: true })
    const client = s.client({ flowType: 'pkce' })
    await client.signInWithOtp({ email, options: { emailRedirectTo: `${SITE_URL}/callback` } })
    const link = linkOf(await s.nextMail(email))
    expect(new URL(link).searchParams.get('token')?.startsWith('pkce_')).toBe(true)
    const { location } = await follow(link)
    expect(location.pathname).toBe('/callback')
    expect(location.hash).toBe('')
    const code = location.searchParams.get('code') ?? ''
    expect(code).not.toBe('')
    const { data, error } = await client.exchangeCodeForSession(code)
    expect(error).toBeNull()
    expect(data.user?.email).toBe(email)
    expect((await client.getSession()).data.session?.access_token).toBe(data.session?.access_token)

    // The code is single use, and a verifier from another client never matches.
    const again = await client.exchangeCodeForSession(code)
    expect(again.error).not.toBeNull()
  })

  it('sign-up with PKCE: the confirmation link redirects with ?code=, exchanged for the session', async () => {
    const email = address('pkce-signup')
    const client = s.client({ flowType: 'pkce' })
    const { data: signUp } = await client.signUp({
      email,
      password: 'password 123',
      options: { emailRedirectTo: `${SITE_URL}/confirmed` },
    })
    expect(signUp.session).toBeNull()
    const link = linkOf(await s.nextMail(email))
    expect(new URL(link).searchParams.get('token')?.startsWith('pkce_')).toBe(true)
    // Stripping the pkce_ prefix does not turn the link into an implicit-flow session.
    const stripped = new URL(link)
    stripped.searchParams.set('token', (stripped.searchParams.get('token') ?? '').replace(/^pkce_/, ''))
    expect(fragment((await follow(stripped.toString())).location).error_code).toBe('otp_expired')

    const { location } = await follow(link)
    expect(location.pathname).toBe('/confirmed')
    const { data, error } = await client.exchangeCodeForSession(location.searchParams.get('code') ?? '')
    expect(error).toBeNull()
    expect(data.user?.email_confirmed_at).toBeTruthy()
    const claims = JSON.parse(
      Buffer.from((data.session?.access_token ?? '').split('.')[1] ?? '', 'base64url').toString(),
    )
    expect(claims.amr?.[0]?.method).toBe('email/signup')
  })

  it('password recovery with PKCE', async () => {
    const email = address('pkce-recover')
    await s.admin().createUser({ email, password: 'old password 1', email_confirm: true })
    const client = s.client({ flowType: 'pkce' })
    await client.resetPasswordForEmail(email, { redirectTo: `${SITE_URL}/reset` })
    const { location } = await follow(linkOf(await s.nextMail(email)))
    const code = location.searchParams.get('code') ?? ''
    const { data, error } = await client.exchangeCodeForSession(code)
    expect(error).toBeNull()
    expect(data.session?.user.email).toBe(email)
    expect((await client.updateUser({ password: 'new password 2' })).error).toBeNull()
  })

  it('refuses an auth code older than the flow-state lifetime, and an unknown one', async () => {
    const email = address('pkce-old')
    await s.admin().createUser({ email, email_confirm: true })
    const client = s.client({ flowType: 'pkce' })
    await client.signInWithOtp({ email })
    const { location } = await follow(linkOf(await s.nextMail(email)))
    await s.t.db.query(
      `update auth.flow_state set auth_code_issued_at = now() - interval '10 minutes', created_at = now() - interval '10 minutes'
        where user_id = (select id from auth.users where email = $1)`,
      [email],
    )
    const expired = await client.exchangeCodeForSession(location.searchParams.get('code') ?? '')
    expect(expired.error?.code).toBe('flow_state_expired')
    // (auth-js drops its verifier after one attempt, so the unknown code goes over plain HTTP.)
    const unknown = await fetch(`${s.url}/token?grant_type=pkce`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', apikey: s.anonKey },
      body: JSON.stringify({
        auth_code: '00000000-0000-4000-8000-000000000000',
        code_verifier: 'v'.repeat(43),
      }),
    })
    expect(unknown.status).toBe(404)
    expect(unknown.headers.get('x-sb-error-code')).toBe('flow_state_not_found')
  })

  it('refuses a wrong code_verifier with bad_code_verifier', async () => {
    const email = address('pkce-bad')
    await s.admin().createUser({ email, email_confirm: true })
    const client = s.client({ flowType: 'pkce' })
    await client.signInWithOtp({ email })
    const { location } = await follow(linkOf(await s.nextMail(email)))
    const response = await fetch(`${s.url}/token?grant_type=pkce`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        apikey: s.anonKey,
        'x-supabase-api-version': '2024-01-01',
      },
      body: JSON.stringify({ auth_code: location.searchParams.get('code'), code_verifier: 'x'.repeat(50) }),
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ code: 'bad_code_verifier' })
  })
})

describe('email change', () => {
  it('updateUser({ email }) → confirmation links to both addresses → email changed', async () => {
    const email = address('change-from')
    const next = address('change-to')
    await s.admin().createUser({ email, password: 'password 123', email_confirm: true })
    const client = s.client()
    await client.signInWithPassword({ email, password: 'password 123' })
    const { data, error } = await client.updateUser(
      { email: next },
      { emailRedirectTo: `${SITE_URL}/changed` },
    )
    expect(error).toBeNull()
    expect(data.user?.new_email).toBe(next)

    const toNew = await s.nextMail(next)
    const toCurrent = await s.nextMail(email)
    const first = await follow(linkOf(toCurrent))
    expect(fragment(first.location).message).toMatch(/Confirmation link accepted/)
    const second = await follow(linkOf(toNew))
    const hash = fragment(second.location)
    expect(hash.type).toBe('email_change')
    await client.setSession({
      access_token: hash.access_token ?? '',
      refresh_token: hash.refresh_token ?? '',
    })
    const user = await client.getUser()
    expect(user.data.user?.email).toBe(next)
    expect(user.data.user?.new_email).toBeUndefined()
  })
})

describe('email change with PKCE', () => {
  it('both links carry pkce_; the first answers the message, the second a code for exchangeCodeForSession', async () => {
    const email = address('pkce-change-from')
    const next = address('pkce-change-to')
    await s.admin().createUser({ email, password: 'password 123', email_confirm: true })
    const client = s.client({ flowType: 'pkce' })
    await client.signInWithPassword({ email, password: 'password 123' })
    expect(
      (await client.updateUser({ email: next }, { emailRedirectTo: `${SITE_URL}/changed` })).error,
    ).toBeNull()
    const toCurrent = linkOf(await s.nextMail(email))
    const toNew = linkOf(await s.nextMail(next))
    for (const link of [toCurrent, toNew]) expect(new URL(link).searchParams.get('token')).toMatch(/^pkce_/)
    const first = await follow(toCurrent)
    expect(first.location.searchParams.get('message')).toMatch(/Confirmation link accepted/)
    const second = await follow(toNew)
    expect(second.location.pathname).toBe('/changed')
    const { data, error } = await client.exchangeCodeForSession(
      second.location.searchParams.get('code') ?? '',
    )
    expect(error).toBeNull()
    expect(data.user?.email).toBe(next)
  })
})

describe('resend', () => {
  it('resends the email-change mails; only the newest links work', async () => {
    const email = address('resend-from')
    const next = address('resend-to')
    await s.admin().createUser({ email, password: 'password 123', email_confirm: true })
    const client = s.client()
    await client.signInWithPassword({ email, password: 'password 123' })
    await client.updateUser({ email: next })
    const firstNew = await s.nextMail(next)
    await s.nextMail(email)
    const { error } = await client.resend({ type: 'email_change', email })
    expect(error).toBeNull()
    const secondNew = await s.nextMail(next, 1)
    const secondCurrent = await s.nextMail(email, 1)
    expect(linkOf(secondNew)).not.toBe(linkOf(firstNew))
    expect(fragment((await follow(linkOf(firstNew))).location).error_code).toBe('otp_expired')
    await follow(linkOf(secondCurrent))
    const done = fragment((await follow(linkOf(secondNew))).location)
    expect(done.type).toBe('email_change')
    const { data } = await s.admin().listUsers({ page: 1, perPage: 1000 })
    expect(data.users.find((user) => user.email === next)).toBeTruthy()
  })

  it('resends the sign-up confirmation (and answers {} for a confirmed or unknown address)', async () => {
    const email = address('resend-signup')
    const client = s.client()
    await client.signUp({ email, password: 'password 123' })
    await s.nextMail(email)
    expect((await client.resend({ type: 'signup', email })).error).toBeNull()
    const again = await s.nextMail(email, 1)
    expect(fragment((await follow(linkOf(again))).location).type).toBe('signup')
    expect((await client.resend({ type: 'signup', email })).error).toBeNull()
    expect((await client.resend({ type: 'signup', email: address('resend-nobody') })).error).toBeNull()
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await s.mails(email)).toHaveLength(2)
  })
})

describe('anonymous sign-in', () => {
  it('signInAnonymously yields an is_anonymous session', async () => {
    const client = s.client()
    const { data, error } = await client.signInAnonymously()
    expect(error).toBeNull()
    expect(data.user?.is_anonymous).toBe(true)
  })

  it('an anonymous user adds an email with updateUser → one confirmation link → a permanent account', async () => {
    const client = s.client()
    const { data: anon } = await client.signInAnonymously()
    const email = address('upgrade')
    const { error } = await client.updateUser({ email })
    expect(error).toBeNull()
    const mail = await s.nextMail(email)
    const { location } = await follow(linkOf(mail))
    const hash = fragment(location)
    expect(hash.type).toBe('email_change')
    await client.setSession({
      access_token: hash.access_token ?? '',
      refresh_token: hash.refresh_token ?? '',
    })
    const { data } = await client.getUser()
    expect(data.user?.id).toBe(anon.user?.id)
    expect(data.user?.email).toBe(email)
    expect(data.user?.is_anonymous).toBe(false)
    expect(data.user?.identities?.map((identity) => identity.provider)).toContain('email')
    const claims = JSON.parse(Buffer.from(hash.access_token?.split('.')[1] ?? '', 'base64url').toString())
    expect(claims.is_anonymous).toBe(false)
  })
})

describe('auth.api (in-process, for scripts)', () => {
  it('signInWithOtp → verifyOtp, resetPasswordForEmail, and errors as AuthError with GoTrue codes', async () => {
    const email = address('api')
    await s.auth.api.signInWithOtp({ email, data: { via: 'api' } })
    const code = codeOf(await s.nextMail(email))
    const session = await s.auth.api.verifyOtp({ type: 'email', email, token: code })
    expect(session.user).toMatchObject({ email, user_metadata: { via: 'api' } })
    await expect(s.auth.api.verifyOtp({ type: 'email', email, token: code })).rejects.toMatchObject({
      errorCode: 'otp_expired',
      status: 403,
    })
    await s.auth.api.resetPasswordForEmail(email)
    const recovery = await s.nextMail(email, 1)
    const token = new URL(linkOf(recovery)).searchParams.get('token') ?? ''
    const recovered = await s.auth.api.verifyOtp({ type: 'recovery', token_hash: token })
    expect(recovered.session?.access_token).toBeTruthy()
  })
})
