import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStack, follow, fragment, linkOf, SITE_URL, type Stack } from './support/stack'

// The admin API (service_role only) driven by auth-js' GoTrueAdminApi.

let s: Stack
beforeAll(async () => {
  s = await createStack({
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

const address = (tag: string) => `${tag}-${Math.random().toString(36).slice(2, 8)}@example.com`

describe('service_role only', () => {
  it('refuses the anon key with not_admin and a missing token with no_authorization', async () => {
    const asAnon = await fetch(`${s.url}/admin/users`, {
      headers: {
        apikey: s.anonKey,
        Authorization: `Bearer ${s.anonKey}`,
        'x-supabase-api-version': '2024-01-01',
      },
    })
    expect(asAnon.status).toBe(403)
    expect(await asAnon.json()).toMatchObject({ code: 'not_admin' })
    const bare = await fetch(`${s.url}/admin/users`)
    expect(bare.status).toBe(401)
    expect(bare.headers.get('x-sb-error-code')).toBe('no_authorization')

    // A signed-in user's own token is not enough either.
    const email = address('plain')
    await s.admin().createUser({ email, password: 'password 123', email_confirm: true })
    const client = s.client()
    const { data } = await client.signInWithPassword({ email, password: 'password 123' })
    const asUser = await fetch(`${s.url}/admin/users`, {
      headers: { apikey: s.anonKey, Authorization: `Bearer ${data.session?.access_token}` },
    })
    expect(asUser.status).toBe(403)
  })
})

describe('users', () => {
  it('creates, reads, updates, bans and deletes users', async () => {
    const admin = s.admin()
    const email = address('crud')
    const created = await admin.createUser({
      email,
      password: 'password 123',
      email_confirm: true,
      user_metadata: { name: 'Ada' },
      app_metadata: { plan: 'pro' },
    })
    expect(created.error).toBeNull()
    const user = created.data.user
    expect(user).toMatchObject({
      email,
      aud: 'authenticated',
      role: 'authenticated',
      user_metadata: { name: 'Ada' },
      app_metadata: { provider: 'email', providers: ['email'], plan: 'pro' },
    })
    expect(user?.email_confirmed_at).toBeTruthy()
    expect(user?.identities?.[0]?.provider).toBe('email')

    const duplicate = await admin.createUser({ email, password: 'password 123' })
    expect(duplicate.error?.code).toBe('email_exists')
    expect(duplicate.error?.status).toBe(422)

    const fetched = await admin.getUserById(user?.id ?? '')
    expect(fetched.data.user?.id).toBe(user?.id)
    const malformed = await fetch(`${s.url}/admin/users/not-a-uuid`, {
      headers: { apikey: s.serviceKey, Authorization: `Bearer ${s.serviceKey}` },
    })
    expect(malformed.status).toBe(404)
    expect(malformed.headers.get('x-sb-error-code')).toBe('validation_failed')
    expect((await admin.getUserById('00000000-0000-4000-8000-000000000000')).error?.code).toBe(
      'user_not_found',
    )

    const updated = await admin.updateUserById(user?.id ?? '', {
      user_metadata: { name: 'Ada Lovelace', name_to_drop: null },
      app_metadata: { plan: 'team' },
      password: 'password 456',
    })
    expect(updated.error).toBeNull()
    expect(updated.data.user?.user_metadata).toMatchObject({ name: 'Ada Lovelace' })
    expect(updated.data.user?.app_metadata).toMatchObject({ plan: 'team', provider: 'email' })
    const client = s.client()
    expect((await client.signInWithPassword({ email, password: 'password 456' })).error).toBeNull()

    const banned = await admin.updateUserById(user?.id ?? '', { ban_duration: '24h' })
    expect(new Date(banned.data.user?.banned_until ?? 0).getTime()).toBeGreaterThan(
      Date.now() + 23 * 3600_000,
    )
    const refused = await s.client().signInWithPassword({ email, password: 'password 456' })
    expect(refused.error).not.toBeNull()
    const unbanned = await admin.updateUserById(user?.id ?? '', { ban_duration: 'none' })
    expect(unbanned.data.user?.banned_until).toBeUndefined()
    expect((await admin.updateUserById(user?.id ?? '', { ban_duration: 'forever' })).error?.code).toBe(
      'validation_failed',
    )

    expect((await admin.deleteUser(user?.id ?? '')).error).toBeNull()
    expect((await admin.getUserById(user?.id ?? '')).error?.code).toBe('user_not_found')
  })

  it('soft-deletes: the row stays with deleted_at, sessions end, the address is free again', async () => {
    const admin = s.admin()
    const email = address('soft')
    const { data } = await admin.createUser({ email, password: 'password 123', email_confirm: true })
    const client = s.client()
    await client.signInWithPassword({ email, password: 'password 123' })
    expect((await admin.deleteUser(data.user?.id ?? '', true)).error).toBeNull()
    const fetched = await admin.getUserById(data.user?.id ?? '')
    expect(fetched.data.user?.deleted_at).toBeTruthy()
    expect((await client.getUser()).error).not.toBeNull()
    expect((await admin.createUser({ email, password: 'password 123' })).error).toBeNull()
  })

  it('imports a bcrypt password_hash that then signs in', async () => {
    const email = address('bcrypt')
    // bcrypt("password 123", cost 10), as a Supabase auth.users export holds it.
    const { hash } = await import('bcryptjs')
    const passwordHash = await hash('password 123', 10)
    const created = await s
      .admin()
      .createUser({ email, password_hash: passwordHash, email_confirm: true } as never)
    expect(created.error).toBeNull()
    expect((await s.client().signInWithPassword({ email, password: 'password 123' })).error).toBeNull()
  })

  it('lists users newest first with X-Total-Count and Link pagination', async () => {
    const admin = s.admin()
    const tag = Math.random().toString(36).slice(2, 8)
    for (let i = 0; i < 5; i++) await admin.createUser({ email: `list-${tag}-${i}@example.com` })
    const { count } = (await s.t.db.query<{ count: number }>('select count(*)::int as count from auth.users'))
      .rows[0] ?? {
      count: 0,
    }
    const page1 = await admin.listUsers({ page: 1, perPage: 2 })
    expect(page1.error).toBeNull()
    expect(page1.data.users).toHaveLength(2)
    expect((page1.data as { aud?: string }).aud).toBe('authenticated')
    expect((page1.data as { total: number }).total).toBe(count)
    expect((page1.data as { nextPage: number | null }).nextPage).toBe(2)
    expect((page1.data as { lastPage: number }).lastPage).toBe(Math.ceil(count / 2) % 10)
    const page2 = await admin.listUsers({ page: 2, perPage: 2 })
    expect(page2.data.users.map((u) => u.id)).not.toContain(page1.data.users[0]?.id)
    const created = page1.data.users.map((u) => new Date(u.created_at).getTime())
    expect(created[0]).toBeGreaterThanOrEqual(created[1] ?? 0)

    const raw = await fetch(`${s.url}/admin/users?page=1&per_page=2`, {
      headers: { apikey: s.serviceKey, Authorization: `Bearer ${s.serviceKey}` },
    })
    expect(raw.headers.get('x-total-count')).toBe(String(count))
    expect(raw.headers.get('link')).toMatch(
      /<[^>]+\?page=2&per_page=2>; rel="next", <[^>]+\?page=\d+&per_page=2>; rel="last"/,
    )

    const filtered = await fetch(`${s.url}/admin/users?filter=list-${tag}`, {
      headers: { apikey: s.serviceKey, Authorization: `Bearer ${s.serviceKey}` },
    })
    expect(((await filtered.json()) as { users: unknown[] }).users).toHaveLength(5)
  })
})

describe('GET /admin/audit', () => {
  it('lists audit entries newest first, filters by author, action and type, and paginates', async () => {
    const tag = Math.random().toString(36).slice(2, 8)
    const email = `audit-${tag}@example.com`
    const { data } = await s.admin().createUser({ email, password: 'password 123', email_confirm: true })
    expect((await s.client().signInWithPassword({ email, password: 'password 123' })).error).toBeNull()
    const get = (query: string, key = s.serviceKey) =>
      fetch(`${s.url}/admin/audit?${query}`, { headers: { apikey: key, Authorization: `Bearer ${key}` } })

    const mine = await get(`query=${encodeURIComponent(`author:AUDIT-${tag}`)}`)
    expect(mine.status).toBe(200)
    const entries = (await mine.json()) as Array<{
      id: string
      payload: Record<string, unknown>
      created_at: string
      ip_address: string
    }>
    expect(entries.map((e) => e.payload.action)).toEqual(['login'])
    expect(entries[0]).toMatchObject({
      payload: { actor_id: data.user?.id, actor_username: email, log_type: 'account', actor_via_sso: false },
      ip_address: expect.any(String),
    })
    expect(Date.parse(entries[0]?.created_at ?? '')).not.toBeNaN()
    expect(mine.headers.get('x-total-count')).toBe('1')

    const logins = (await (await get('query=action:login')).json()) as Array<{ payload: { action: string } }>
    expect(logins.length).toBeGreaterThan(0)
    expect(logins.every((e) => e.payload.action === 'login')).toBe(true)
    const team = (await (await get('query=type:team')).json()) as Array<{ payload: { log_type: string } }>
    expect(team.length).toBeGreaterThan(0) // admin.createUser above logs user_signedup (team)
    expect(team.every((e) => e.payload.log_type === 'team')).toBe(true)

    const { total } = (
      await s.t.db.query<{ total: number }>('select count(*)::int as total from auth.audit_log_entries')
    ).rows[0] ?? { total: 0 }
    const page = await get('page=1&per_page=1')
    expect(page.headers.get('x-total-count')).toBe(String(total))
    expect(page.headers.get('link')).toMatch(/\/admin\/audit\?page=2&per_page=1>; rel="next"/)
    const newest = (await page.json()) as Array<{ id: string }>
    const { rows } = await s.t.db.query<{ id: string }>(
      'select id from auth.audit_log_entries order by created_at desc, id desc limit 1',
    )
    expect(newest.map((e) => e.id)).toEqual([rows[0]?.id])

    // A % in the text is matched literally, not as a wildcard.
    expect(await (await get(`query=${encodeURIComponent('author:%')}`)).json()).toEqual([])
    // In-process API, same operation.
    const listed = await s.auth.api.admin.listAuditLog({ query: `author:audit-${tag}` })
    expect(listed.entries).toHaveLength(1)
    expect(listed).toMatchObject({ total: 1, page: 1, nextPage: null, lastPage: 1 })
  })

  it('refuses an unknown query scope (400 validation_failed) and non-admin callers', async () => {
    const bad = await fetch(`${s.url}/admin/audit?query=actor:x`, {
      headers: {
        apikey: s.serviceKey,
        Authorization: `Bearer ${s.serviceKey}`,
        'x-supabase-api-version': '2024-01-01',
      },
    })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({
      code: 'validation_failed',
      message: 'Invalid query scope: actor:x',
    })
    const anon = await fetch(`${s.url}/admin/audit`, {
      headers: { apikey: s.anonKey, Authorization: `Bearer ${s.anonKey}` },
    })
    expect(anon.status).toBe(403)
  })
})

describe('generate_link', () => {
  it('generates a magic link whose action_link signs in, with the OTP and hashed token', async () => {
    const admin = s.admin()
    const email = address('gen')
    await admin.createUser({ email, email_confirm: true })
    const { data, error } = await admin.generateLink({
      type: 'magiclink',
      email,
      options: { redirectTo: `${SITE_URL}/x` },
    })
    expect(error).toBeNull()
    expect(data.user?.email).toBe(email)
    expect(data.properties).toMatchObject({ verification_type: 'magiclink', redirect_to: `${SITE_URL}/x` })
    expect(data.properties?.email_otp).toMatch(/^\d{6}$/)
    const link = new URL(data.properties?.action_link ?? '')
    expect(link.searchParams.get('token')).toBe(data.properties?.hashed_token)
    const { location } = await follow(link.toString())
    expect(fragment(location).type).toBe('magiclink')
    // No mail was sent.
    expect(await s.mails(email)).toHaveLength(0)
  })

  it('creates the account for signup (and for a magic link to a new address, as a signup link)', async () => {
    const admin = s.admin()
    const email = address('gen-signup')
    const signup = await admin.generateLink({
      type: 'signup',
      email,
      password: 'password 123',
      options: { data: { a: 1 } },
    })
    expect(signup.error).toBeNull()
    expect(signup.data.user?.user_metadata).toMatchObject({ a: 1 })
    const verified = await s
      .client()
      .verifyOtp({ email, token: signup.data.properties?.email_otp ?? '', type: 'signup' })
    expect(verified.error).toBeNull()
    expect(verified.data.user?.email_confirmed_at).toBeTruthy()

    const fresh = address('gen-magic-new')
    const magic = await admin.generateLink({ type: 'magiclink', email: fresh })
    expect(magic.data.properties?.verification_type).toBe('signup')

    const missing = await admin.generateLink({ type: 'recovery', email: address('nobody') })
    expect(missing.error?.code).toBe('user_not_found')
  })

  it('generates recovery, invite and email-change links', async () => {
    const admin = s.admin()
    const email = address('gen-more')
    await admin.createUser({ email, password: 'password 123', email_confirm: true })
    const recovery = await admin.generateLink({ type: 'recovery', email })
    expect(recovery.data.properties?.verification_type).toBe('recovery')
    const session = await s
      .client()
      .verifyOtp({ token_hash: recovery.data.properties?.hashed_token ?? '', type: 'recovery' })
    expect(session.error).toBeNull()

    const invitee = address('gen-invite')
    const invite = await admin.generateLink({ type: 'invite', email: invitee })
    expect(invite.data.user?.invited_at).toBeTruthy()
    const { location } = await follow(invite.data.properties?.action_link ?? '')
    expect(fragment(location).type).toBe('invite')

    const next = address('gen-new')
    const change = await admin.generateLink({ type: 'email_change_new', email, newEmail: next })
    expect(change.error).toBeNull()
    expect(change.data.user?.new_email).toBe(next)
    const changed = await s
      .client()
      .verifyOtp({ token_hash: change.data.properties?.hashed_token ?? '', type: 'email_change' })
    expect(changed.error).toBeNull()
    expect(changed.data.user?.email).toBe(next)
  })
})

describe('inviteUserByEmail', () => {
  it('mails an invite whose link confirms the account and signs in; the user then sets a password', async () => {
    const admin = s.admin()
    const email = address('invite')
    const { data, error } = await admin.inviteUserByEmail(email, {
      data: { team: 'x' },
      redirectTo: `${SITE_URL}/join`,
    })
    expect(error).toBeNull()
    expect(data.user?.invited_at).toBeTruthy()
    expect(data.user?.user_metadata).toMatchObject({ team: 'x' })
    const mail = await s.nextMail(email)
    expect(mail.subject).toMatch(/invited/i)
    const link = linkOf(mail)
    expect(new URL(link).searchParams.get('type')).toBe('invite')
    const { location } = await follow(link)
    expect(location.pathname).toBe('/join')
    const hash = fragment(location)
    expect(hash.type).toBe('invite')
    const client = s.client()
    await client.setSession({
      access_token: hash.access_token ?? '',
      refresh_token: hash.refresh_token ?? '',
    })
    expect((await client.updateUser({ password: 'chosen password' })).error).toBeNull()
    expect((await s.client().signInWithPassword({ email, password: 'chosen password' })).error).toBeNull()

    const again = await admin.inviteUserByEmail(email)
    expect(again.error?.code).toBe('email_exists')
  })
})
