/**
 * `pnpm bench` (social sign-in and MFA) for @groundwork/auth:
 *
 * - full OIDC sign-in round trips per second — `/authorize` → the provider's login → `/callback`
 *   → a session (`POST /token?grant_type=pkce`) — against a local `oidc-provider`, beside
 *   better-auth's generic OAuth plugin (`/sign-in/social` → provider → `/callback/:id` →
 *   session cookie) against the same provider in the same run, with the ratio;
 * - a raw baseline of the same walk that only does the provider's part (authorize + login +
 *   token request with oauth4webapi, no user, no session), the ceiling the provider itself sets;
 * - TOTP verifications per second (`POST /factors/{id}/verify`, each a full check — token,
 *   factor and challenge lookup, the ±1-step HMACs, the audit entry — with a code that does not
 *   match, so no time step is spent and the measurement can run for any length).
 *
 * Each server runs in this process behind node:http; rounds alternate so drift hits all alike.
 * DATABASE_URL names the PostgreSQL server (scratch databases are created and dropped).
 * Knobs: BENCH_DURATION (s per measurement, 5), BENCH_SOCIAL_CONCURRENCY (8), BENCH_ROUNDS (2).
 */
import { randomBytes } from 'node:crypto'
import { loadavg } from 'node:os'
import { migrations as coreMigrations, createDatabase, migrate, quoteIdent } from '@groundwork/core'
import { betterAuth } from 'better-auth'
import { getMigrations } from 'better-auth/db/migration'
import { genericOAuth } from 'better-auth/plugins'
import * as oauth from 'oauth4webapi'
import pg from 'pg'
import { createAuth, migrations } from '../src/index'
import { totpCode } from '../src/mfa/totp'
import { type IdpAccount, startOidcIdp } from '../test/support/idp'
import { serve } from '../test/support/serve'

const DURATION = Number(process.env.BENCH_DURATION ?? 5)
const CONCURRENCY = Number(process.env.BENCH_SOCIAL_CONCURRENCY ?? 8)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const SECRET = randomBytes(32).toString('hex')
/** The provider account of measurement loop `loop`. */
const account = (loop: number) => `bench-user-${loop}`

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  return parsed.toString()
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** Runs `once` from `CONCURRENCY` loops for `DURATION` s; every iteration must succeed. */
async function measure(
  name: string,
  once: (loop: number) => Promise<void>,
): Promise<{ name: string; rps: number }> {
  const until = Date.now() + DURATION * 1000
  let done = 0
  const started = Date.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, loop) => {
      while (Date.now() < until) {
        await once(loop)
        done++
      }
    }),
  )
  return { name, rps: done / ((Date.now() - started) / 1000) }
}

const cookiesOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ')

async function main() {
  const suffix = randomBytes(4).toString('hex')
  const ours = `bench_social_gw_${suffix}`
  const theirs = `bench_social_ba_${suffix}`
  await admin(async (client) => {
    await client.query(`create database ${quoteIdent(ours)}`)
    await client.query(`create database ${quoteIdent(theirs)}`)
  })
  // One account per loop: concurrent sign-ins of different people (the same account in every loop
  // would measure row-lock queueing on one user, which Groundwork takes and better-auth does not).
  const accounts = new Map<string, IdpAccount>(
    Array.from({ length: CONCURRENCY }, (_, loop) => [
      account(loop),
      { email: `bench-${loop}@idp.test`, email_verified: true, name: `Bench ${loop}` },
    ]),
  )
  const idp = await startOidcIdp(accounts)
  const db = createDatabase({ connectionString: withDatabase(ADMIN_URL, ours), max: 10 })
  const pool = new pg.Pool({ connectionString: withDatabase(ADMIN_URL, theirs), max: 10 })
  const closers: (() => Promise<unknown>)[] = []
  try {
    await migrate(db, [coreMigrations, migrations])
    // --- Groundwork
    const holder: { handler?: (request: Request) => Promise<Response> } = {}
    const gwServer = await serve(
      (request) => (holder.handler as (r: Request) => Promise<Response>)(request),
      '/auth/v1',
    )
    closers.push(() => gwServer.close())
    const gwUrl = `${gwServer.origin}/auth/v1`
    const auth = createAuth({
      db,
      jwt: { secret: SECRET },
      siteUrl: 'http://app.bench',
      externalUrl: gwUrl,
      mailerAutoconfirm: true,
      rateLimits: { signIn: false, signUp: false, tokenRefresh: false, mfaVerify: false },
      social: { providers: { acme: { issuer: idp.issuer, clientId: 'gw', secret: 'gw-secret' } } },
    })
    holder.handler = auth.handler

    // --- better-auth (generic OAuth plugin, same provider)
    const baHolder: { handler?: (request: Request) => Promise<Response> } = {}
    const baServer = await serve((request) =>
      (baHolder.handler as (r: Request) => Promise<Response>)(request),
    )
    closers.push(() => baServer.close())
    const ba = betterAuth({
      database: pool,
      secret: SECRET,
      baseURL: baServer.origin,
      rateLimit: { enabled: false },
      telemetry: { enabled: false },
      logger: { disabled: true },
      plugins: [
        genericOAuth({
          config: [
            {
              providerId: 'acme',
              discoveryUrl: `${idp.issuer}/.well-known/openid-configuration`,
              clientId: 'ba',
              clientSecret: 'ba-secret',
              scopes: ['openid', 'email', 'profile'],
              pkce: true,
            },
          ],
        }),
      ],
    })
    const { runMigrations } = await getMigrations(ba.options)
    await runMigrations()
    baHolder.handler = ba.handler

    // --- baseline: the provider's part alone, through oauth4webapi
    const baseRedirect = 'http://baseline.bench/callback'
    idp.register(
      { clientId: 'gw', secret: 'gw-secret', redirectUri: `${gwUrl}/callback` },
      {
        clientId: 'ba',
        secret: 'ba-secret',
        redirectUri: `${baServer.origin}/api/auth/callback/acme`,
      },
      { clientId: 'raw', secret: 'raw-secret', redirectUri: baseRedirect },
    )
    const issuer = new URL(idp.issuer)
    const insecure = { [oauth.allowInsecureRequests]: true }
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure))
    const rawClient: oauth.Client = { client_id: 'raw' }

    const baseline = async (loop = 0) => {
      const verifier = oauth.generateRandomCodeVerifier()
      const state = oauth.generateRandomState()
      const url = new URL(as.authorization_endpoint as string)
      url.search = new URLSearchParams({
        client_id: 'raw',
        redirect_uri: baseRedirect,
        response_type: 'code',
        scope: 'openid email profile',
        state,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      }).toString()
      const back = await idp.login(url.toString(), account(loop))
      const params = oauth.validateAuthResponse(as, rawClient, back, state)
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        rawClient,
        oauth.ClientSecretBasic('raw-secret'),
        params,
        baseRedirect,
        verifier,
        insecure,
      )
      await oauth.processAuthorizationCodeResponse(as, rawClient, response)
    }

    const groundwork = async (loop = 0) => {
      const verifier = oauth.generateRandomCodeVerifier()
      const challenge = await oauth.calculatePKCECodeChallenge(verifier)
      const start = await fetch(
        `${gwUrl}/authorize?provider=acme&redirect_to=http://app.bench/cb&code_challenge=${challenge}&code_challenge_method=s256`,
        { redirect: 'manual' },
      )
      const callback = await idp.login(start.headers.get('location') ?? '', account(loop))
      const landed = await fetch(callback, { redirect: 'manual' })
      const code = new URL(landed.headers.get('location') ?? '').searchParams.get('code')
      if (!code) throw new Error(`groundwork callback: ${landed.headers.get('location')}`)
      const token = await fetch(`${gwUrl}/token?grant_type=pkce`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ auth_code: code, code_verifier: verifier }),
      })
      if (!token.ok) throw new Error(`groundwork token: ${token.status} ${await token.text()}`)
      await token.json()
    }

    const betterAuthOnce = async (loop = 0) => {
      // better-auth 1.7 serves generic providers through its core social endpoints.
      const start = await fetch(`${baServer.origin}/api/auth/sign-in/social`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: baServer.origin },
        body: JSON.stringify({ provider: 'acme', callbackURL: '/', disableRedirect: true }),
      })
      if (!start.ok) throw new Error(`better-auth sign-in: ${start.status} ${await start.text()}`)
      const cookie = cookiesOf(start)
      const { url } = (await start.json()) as { url: string }
      const callback = await idp.login(url, account(loop))
      const landed = await fetch(callback, { redirect: 'manual', headers: { cookie } })
      if (landed.status !== 302 || !cookiesOf(landed).includes('session_token')) {
        throw new Error(`better-auth callback: ${landed.status} ${landed.headers.get('location')}`)
      }
    }

    // Warm up every path (discovery, JWKS, first user creation).
    for (let loop = 0; loop < CONCURRENCY; loop++) {
      await baseline(loop)
      await groundwork(loop)
      await betterAuthOnce(loop)
    }

    // --- TOTP: one user with a verified factor, signed in at aal2
    const email = 'totp@bench.test'
    await auth.api.admin.createUser({ email, password: 'bench password 1', email_confirm: true })
    const signIn = await auth.api.signInWithPassword({ email, password: 'bench password 1' })
    const enrolled = await auth.api.mfa.enroll(signIn.session.access_token, { factorType: 'totp' })
    const first = await auth.api.mfa.challenge(signIn.session.access_token, enrolled.id)
    const aal2 = await auth.api.mfa.verify(signIn.session.access_token, enrolled.id, {
      challengeId: first.id,
      code: totpCode(enrolled.totp.secret),
    })
    const challenge = await auth.api.mfa.challenge(aal2.access_token, enrolled.id)
    const totp = async () => {
      // A code three steps ahead of now (computed per call: a fixed one becomes the valid code a
      // minute later): outside the ±1 window, so every check runs in full and refuses.
      const wrong = totpCode(enrolled.totp.secret, Date.now() + 90_000)
      const response = await fetch(`${gwUrl}/factors/${enrolled.id}/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${aal2.access_token}` },
        body: JSON.stringify({ challenge_id: challenge.id, code: wrong }),
      })
      const body = (await response.json()) as { error_code?: string }
      if (response.status !== 422 || body.error_code !== 'mfa_verification_failed') {
        throw new Error(`totp verify: ${response.status} ${JSON.stringify(body)}`)
      }
    }

    const results = new Map<string, number[]>()
    const record = ({ name, rps }: { name: string; rps: number }) =>
      results.set(name, [...(results.get(name) ?? []), rps])
    for (let round = 0; round < ROUNDS; round++) {
      record(await measure('OIDC sign-in round trips/s — groundwork', groundwork))
      record(await measure('OIDC sign-in round trips/s — better-auth generic OAuth', betterAuthOnce))
      record(await measure('provider-only walk/s — oauth4webapi baseline (no user, no session)', baseline))
      record(await measure('TOTP verifications/s — groundwork POST /factors/{id}/verify', totp))
    }
    const best = (name: string) => Math.max(...(results.get(name) ?? [0]))
    console.log(
      `\n@groundwork/auth social + MFA bench — ${CONCURRENCY} concurrent loops, ${DURATION}s × ${ROUNDS} rounds (best round), load ${loadavg()[0]?.toFixed(2)}`,
    )
    for (const name of results.keys())
      console.log(`  ${name.padEnd(78)} ${best(name).toFixed(1).padStart(8)}`)
    const gw = best('OIDC sign-in round trips/s — groundwork')
    const them = best('OIDC sign-in round trips/s — better-auth generic OAuth')
    const raw = best('provider-only walk/s — oauth4webapi baseline (no user, no session)')
    console.log(`  ratio groundwork / better-auth: ${(gw / them).toFixed(2)}× (target ≥ 1.0×)`)
    console.log(`  ratio groundwork / provider-only baseline: ${(gw / raw).toFixed(2)}×`)
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {})
    await idp.close()
    await db.close()
    await pool.end()
    await admin(async (client) => {
      await client.query(`drop database if exists ${quoteIdent(ours)} with (force)`)
      await client.query(`drop database if exists ${quoteIdent(theirs)} with (force)`)
    })
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  },
)
