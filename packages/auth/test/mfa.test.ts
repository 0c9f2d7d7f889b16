import { randomBytes } from 'node:crypto'
import { createRest, type Rest } from '@groundwork/rest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCode } from '../src/mfa/totp'
import { serve, type TestServer } from './support/serve'
import { createStack, type Stack } from './support/stack'

// MFA with TOTP driven by the real @supabase/auth-js (`mfa.*`), and an RLS policy requiring aal2
// enforced through REST with the tokens auth issues.

let s: Stack
let rest: Rest
let restServer: TestServer
beforeAll(async () => {
  s = await createStack({
    mailerAutoconfirm: true,
    rateLimits: { signIn: false, signUp: false, mfaVerify: { max: 5, windowSeconds: 300 } },
  })
  await s.t.db.query(`
    create table public.vault (id int primary key, secret text not null);
    insert into public.vault values (1, 'only with a second factor');
    alter table public.vault enable row level security;
    create policy vault_aal2 on public.vault as restrictive for select to authenticated
      using ((select auth.jwt() ->> 'aal') = 'aal2');
    create policy vault_read on public.vault for select to authenticated using (true);
    grant select on public.vault to authenticated;
  `)
  rest = createRest({ db: s.t.db, authenticate: s.auth.authenticate, schemas: ['public'], listen: false })
  restServer = await serve(rest.handler, '/rest/v1')
})
afterAll(async () => {
  await restServer?.close()
  await rest?.close()
  await s?.close()
})

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString())
let counter = 0

async function signedIn() {
  const client = s.client()
  const email = `mfa-${++counter}-${Date.now()}@example.com`
  const { error } = await client.signUp({ email, password: 'password 123' })
  expect(error).toBeNull()
  return { client, email }
}

/** The next 30-second step's code, so a code is never one the factor already used. */
const nextStepCode = (secret: string, steps = 1) => totpCode(secret, Date.now() + steps * 30_000)

async function vault(token: string) {
  const response = await fetch(`${restServer.origin}/rest/v1/vault?select=secret`, {
    headers: { apikey: s.anonKey, Authorization: `Bearer ${token}` },
  })
  expect(response.status).toBe(200)
  return (await response.json()) as { secret: string }[]
}

describe('TOTP factors through auth-js', () => {
  it('enrolls, challenges and verifies: the new token is aal2 and RLS lets it through', async () => {
    const { client } = await signedIn()
    const before = await client.getSession()
    const aal1Token = before.data.session?.access_token ?? ''
    expect(await vault(aal1Token)).toEqual([])

    const enrolled = await client.mfa.enroll({ factorType: 'totp', friendlyName: 'phone' })
    expect(enrolled.error).toBeNull()
    const totp = enrolled.data?.type === 'totp' ? enrolled.data.totp : undefined
    expect(totp?.qr_code.startsWith('data:image/svg+xml;utf-8,<svg')).toBe(true)
    expect(totp?.uri).toMatch(/^otpauth:\/\/totp\/.+[?&]secret=[A-Z2-7]+/)
    expect(totp?.uri).toContain(`secret=${totp?.secret}`)
    const factorId = enrolled.data?.id ?? ''

    const unverified = await client.mfa.listFactors()
    expect(unverified.data?.all.map((f) => [f.id, f.status])).toEqual([[factorId, 'unverified']])
    expect(unverified.data?.totp).toEqual([])

    const challenge = await client.mfa.challenge({ factorId })
    expect(challenge.error).toBeNull()
    expect(challenge.data?.expires_at).toBeGreaterThan(Date.now() / 1000)
    const verified = await client.mfa.verify({
      factorId,
      challengeId: challenge.data?.id ?? '',
      code: totpCode(totp?.secret ?? ''),
    })
    expect(verified.error).toBeNull()
    const claims = claimsOf(verified.data?.access_token ?? '')
    expect(claims.aal).toBe('aal2')
    expect(claims.amr.map((entry: { method: string }) => entry.method)).toEqual(['totp', 'password'])
    expect(claims.session_id).toBe(claimsOf(aal1Token).session_id)

    const aal = await client.mfa.getAuthenticatorAssuranceLevel()
    expect(aal.data).toMatchObject({ currentLevel: 'aal2', nextLevel: 'aal2' })
    expect(aal.data?.currentAuthenticationMethods.map((m) => (typeof m === 'string' ? m : m.method))).toEqual(
      ['totp', 'password'],
    )
    const factors = await client.mfa.listFactors()
    expect(factors.data?.totp.map((f) => f.id)).toEqual([factorId])

    expect(await vault(verified.data?.access_token ?? '')).toEqual([{ secret: 'only with a second factor' }])
    // A refresh keeps the level.
    const refreshed = await client.refreshSession()
    expect(claimsOf(refreshed.data.session?.access_token ?? '').aal).toBe('aal2')

    // A new sign-in is aal1 again, and auth-js says a second factor is due.
    const fresh = s.client()
    const { data } = await fresh.signInWithPassword({
      email: verified.data?.user.email ?? '',
      password: 'password 123',
    })
    expect(claimsOf(data.session?.access_token ?? '').aal).toBe('aal1')
    const due = await fresh.mfa.getAuthenticatorAssuranceLevel()
    expect(due.data).toMatchObject({ currentLevel: 'aal1', nextLevel: 'aal2' })
    expect(await vault(data.session?.access_token ?? '')).toEqual([])
  })

  it('refuses a wrong code and a replayed one', async () => {
    const { client } = await signedIn()
    const enrolled = await client.mfa.enroll({ factorType: 'totp' })
    const secret = enrolled.data?.type === 'totp' ? enrolled.data.totp.secret : ''
    const factorId = enrolled.data?.id ?? ''
    const code = totpCode(secret)
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0')

    const first = await client.mfa.challenge({ factorId })
    const refused = await client.mfa.verify({ factorId, challengeId: first.data?.id ?? '', code: wrong })
    expect(refused.error?.code).toBe('mfa_verification_failed')
    expect((refused.error as { status?: number }).status).toBe(422)

    const ok = await client.mfa.verify({ factorId, challengeId: first.data?.id ?? '', code })
    expect(ok.error).toBeNull()

    // The same code (same step) on a fresh challenge: refused although it is still "valid".
    const second = await client.mfa.challenge({ factorId })
    const replay = await client.mfa.verify({ factorId, challengeId: second.data?.id ?? '', code })
    expect(replay.error?.code).toBe('mfa_verification_failed')
    // A verified challenge cannot be used again either.
    const reused = await client.mfa.verify({
      factorId,
      challengeId: first.data?.id ?? '',
      code: nextStepCode(secret),
    })
    expect(reused.error?.code).toBe('mfa_challenge_expired')
    // The next step's code (within the ±1 window) is accepted once.
    const next = await client.mfa.verify({
      factorId,
      challengeId: second.data?.id ?? '',
      code: nextStepCode(secret),
    })
    expect(next.error).toBeNull()
  })

  it('rate-limits verification per factor', async () => {
    const { client } = await signedIn()
    const enrolled = await client.mfa.enroll({ factorType: 'totp' })
    const factorId = enrolled.data?.id ?? ''
    const challenge = await client.mfa.challenge({ factorId })
    const codes: (string | undefined)[] = []
    for (let i = 0; i < 6; i++) {
      const { error } = await client.mfa.verify({
        factorId,
        challengeId: challenge.data?.id ?? '',
        code: '000000',
      })
      codes.push(error?.code)
    }
    expect(codes.slice(0, 5).every((code) => code === 'mfa_verification_failed')).toBe(true)
    expect(codes[5]).toBe('over_request_rate_limit')
  })

  it('unenrolls only from aal2 once verified, and the admin API lists and deletes factors', async () => {
    const { client } = await signedIn()
    const first = await client.mfa.enroll({ factorType: 'totp', friendlyName: 'first' })
    const dup = await client.mfa.enroll({ factorType: 'totp', friendlyName: 'first' })
    expect(dup.error?.code).toBe('mfa_factor_name_conflict')
    const secret = first.data?.type === 'totp' ? first.data.totp.secret : ''
    const factorId = first.data?.id ?? ''
    const userId = (await client.getUser()).data.user?.id ?? ''

    // A signed-in aal1 session cannot remove a verified factor.
    const { data: aal1 } = await s.client().signInWithPassword({
      email: (await client.getUser()).data.user?.email ?? '',
      password: 'password 123',
    })
    expect(await client.mfa.challengeAndVerify({ factorId, code: totpCode(secret) })).toMatchObject({
      error: null,
    })
    const weak = await fetch(`${s.url}/factors/${factorId}`, {
      method: 'DELETE',
      headers: { apikey: s.anonKey, Authorization: `Bearer ${aal1?.session?.access_token}` },
    })
    // (That session was ended when the factor got verified: GoTrue's rule.)
    expect([401, 403]).toContain(weak.status)

    const second = await client.mfa.enroll({ factorType: 'totp', friendlyName: 'second' })
    expect(second.error).toBeNull()
    const listed = await s.admin().mfa.listFactors({ userId })
    expect(listed.data?.factors.map((f) => f.friendly_name).sort()).toEqual(['first', 'second'])
    const deleted = await s.admin().mfa.deleteFactor({ userId, id: second.data?.id ?? '' })
    // auth-js hands the body back wrapped once more (`data.data`): its `_request` without `xform`.
    const body = (deleted.data as unknown as { data?: { id?: string } } | null)?.data ?? deleted.data
    expect(body?.id).toBe(second.data?.id)

    const removed = await client.mfa.unenroll({ factorId })
    expect(removed.error).toBeNull()
    expect(removed.data?.id).toBe(factorId)
    const after = await client.refreshSession()
    expect(claimsOf(after.data.session?.access_token ?? '').aal).toBe('aal1')
    expect((await s.admin().mfa.listFactors({ userId })).data?.factors).toEqual([])
  })

  it('needs aal2 to remove a verified factor', async () => {
    const { client, email } = await signedIn()
    const enrolled = await client.mfa.enroll({ factorType: 'totp' })
    const secret = enrolled.data?.type === 'totp' ? enrolled.data.totp.secret : ''
    const factorId = enrolled.data?.id ?? ''
    await client.mfa.challengeAndVerify({ factorId, code: totpCode(secret) })
    const other = s.client()
    await other.signInWithPassword({ email, password: 'password 123' })
    const refused = await other.mfa.unenroll({ factorId })
    expect(refused.error?.code).toBe('insufficient_aal')
    expect((refused.error as { status?: number }).status).toBe(403)
  })
})

describe('TOTP seeds encrypted at rest (encryptionKeys)', () => {
  it('stores the seed sealed, bound to its user, and still verifies codes', async () => {
    const sealed = await createStack({
      mailerAutoconfirm: true,
      rateLimits: { signIn: false, signUp: false },
      encryptionKeys: [randomBytes(32).toString('base64')],
    })
    try {
      const client = sealed.client()
      const { error } = await client.signUp({ email: 'sealed-seed@example.com', password: 'password 123' })
      expect(error).toBeNull()
      const enrolled = await client.mfa.enroll({ factorType: 'totp' })
      const seed = enrolled.data?.type === 'totp' ? enrolled.data.totp.secret : ''
      const { rows } = await sealed.t.db.query<{ secret: string; user_id: string }>(
        'select secret, user_id from auth.mfa_factors',
      )
      expect(rows[0]?.secret).toMatch(/^gwenc:v1:[0-9a-f]{8}:/)
      expect(rows[0]?.secret).not.toContain(seed)
      const factorId = enrolled.data?.id ?? ''
      const challenge = await client.mfa.challenge({ factorId })
      const verified = await client.mfa.verify({
        factorId,
        challengeId: challenge.data?.id ?? '',
        code: totpCode(seed),
      })
      expect(verified.error).toBeNull()
      expect(claimsOf(verified.data?.access_token ?? '').aal).toBe('aal2')
      // Moved onto another user's row, the sealed seed no longer opens: verification fails closed.
      await client.signOut()
      const other = sealed.client()
      await other.signUp({ email: 'other-seed@example.com', password: 'password 123' })
      const theirs = await other.mfa.enroll({ factorType: 'totp' })
      const swapped = await sealed.t.db.query('update auth.mfa_factors set secret = $1 where id = $2', [
        rows[0]?.secret,
        theirs.data?.id,
      ])
      expect(swapped.rowCount).toBe(1)
      const again = await other.mfa.challenge({ factorId: theirs.data?.id ?? '' })
      const moved = await other.mfa.verify({
        factorId: theirs.data?.id ?? '',
        challengeId: again.data?.id ?? '',
        code: nextStepCode(seed),
      })
      // Not the user's wrong code: the server cannot read the factor (reported to onError).
      expect(moved.error?.status).toBe(500)
    } finally {
      await sealed.close()
    }
  })
})
