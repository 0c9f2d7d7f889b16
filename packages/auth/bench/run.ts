/**
 * `pnpm bench` for @groundwork/auth: sign-ins/s, refreshes/s and authenticated-request
 * verifications/s, side by side with better-auth (email sign-in, get-session) and hand-written
 * node:http + pg + jose baselines, in the same run, on the same PostgreSQL server (better-auth on a
 * database of its own, its tables created by its own programmatic migrations).
 *
 * Password hashing dominates sign-in, so the comparison is made at EQUAL hash cost: better-auth's
 * default scrypt (N=16384, r=16, p=1) for both, plus our default (N=2^17, r=8, p=1, OWASP) reported
 * separately. Every server is served through the same node:http bridge, measured with autocannon
 * from the same process, in interleaved rounds so drift hits all alike.
 *
 * DATABASE_URL names the server (scratch databases are created and dropped there).
 * Knobs: BENCH_DURATION (s per measurement, 5), BENCH_CONNECTIONS (16), BENCH_SIGNIN_CONNECTIONS (8),
 * BENCH_ROUNDS (2).
 */
import { randomBytes, scrypt as scryptCallback } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cpus, loadavg } from 'node:os'
import {
  migrations as coreMigrations,
  createDatabase,
  type Database,
  migrate,
  quoteIdent,
} from '@groundwork/core'
import autocannon, { type Options as AutocannonOptions } from 'autocannon'
import { betterAuth } from 'better-auth'
import { getMigrations } from 'better-auth/db/migration'
import { jwtVerify, SignJWT } from 'jose'
import pg from 'pg'
import { createAuth } from '../src/index'
import { serve, type TestServer } from '../test/support/serve'

const DURATION = Number(process.env.BENCH_DURATION ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
/** Sign-ins queue on the libuv threadpool (4 threads by default); more connections only add queueing. */
const SIGNIN_CONNECTIONS = Number(process.env.BENCH_SIGNIN_CONNECTIONS ?? 8)
/** A hash can take seconds on a loaded machine; a sign-in is a failure only after this long. */
const SIGNIN_TIMEOUT = 60
/** Sign-ins complete a few per second at most: measure them longer for a meaningful count. */
const SIGNIN_DURATION = Math.max(2 * DURATION, 10)
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const SECRET = randomBytes(32).toString('hex')
const PASSWORD = 'correct horse battery staple'
/** better-auth's scrypt defaults (@better-auth/utils/password). */
const EQUAL_COST = { N: 16384, r: 16, p: 1 }
const OUR_DEFAULT = { N: 2 ** 17, r: 8, p: 1 }

interface Measured {
  name: string
  rps: number
  p50: number
  p99: number
}

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

/** Runs autocannon; throws when any request failed (a benchmark of errors measures nothing). */
async function load(name: string, options: AutocannonOptions): Promise<Measured> {
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION, ...options })
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
    throw new Error(`${name}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts`)
  }
  const seconds = options.duration ?? DURATION
  return { name, rps: result.requests.total / seconds, p50: result.latency.p50, p99: result.latency.p99 }
}

// --- Groundwork -------------------------------------------------------------------------------

async function groundwork(db: Database, scrypt: typeof EQUAL_COST, email: string) {
  const auth = createAuth({
    db,
    jwt: { secret: SECRET },
    mailerAutoconfirm: true,
    scrypt,
    // Stateless verification for `authenticate` (the session-checking variant is measured apart).
    verifySessions: false,
    rateLimits: {
      signIn: false,
      signInPerEmail: false,
      signUp: false,
      tokenRefresh: false,
      verify: false,
      otp: false,
      emailSent: false,
    },
  })
  const server = await serve(auth.handler, '/auth/v1')
  const signup = await fetch(`${server.origin}/auth/v1/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  })
  if (!signup.ok) throw new Error(`groundwork signup: ${signup.status} ${await signup.text()}`)
  const session = (await signup.json()) as { access_token: string; refresh_token: string }
  return { auth, server, session }
}

async function signInOnce(
  origin: string,
  email: string,
): Promise<{ access_token: string; refresh_token: string }> {
  const response = await fetch(`${origin}/auth/v1/token?grant_type=password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  })
  if (!response.ok) throw new Error(`sign-in: ${response.status} ${await response.text()}`)
  return (await response.json()) as { access_token: string; refresh_token: string }
}

// --- better-auth ------------------------------------------------------------------------------

async function betterAuthStack(url: string, email: string) {
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  let origin = ''
  const holder: { handler?: (request: Request) => Promise<Response> } = {}
  const server = await serve((request) => (holder.handler as (r: Request) => Promise<Response>)(request))
  origin = server.origin
  const ba = betterAuth({
    database: pool,
    secret: SECRET,
    baseURL: origin,
    emailAndPassword: { enabled: true, autoSignIn: true },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { disabled: true },
  })
  const { runMigrations } = await getMigrations(ba.options)
  await runMigrations()
  holder.handler = ba.handler
  const signUp = await fetch(`${origin}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ email, password: PASSWORD, name: 'Bench' }),
  })
  if (!signUp.ok) throw new Error(`better-auth sign-up: ${signUp.status} ${await signUp.text()}`)
  const cookie = signUp.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ')
  return { server, pool, origin, cookie }
}

// --- hand-written baselines (node:http + pg + node:crypto scrypt + jose) ------------------------

function scryptHash(password: string, salt: Buffer, params: typeof EQUAL_COST): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, 32, { ...params, maxmem: 256 * params.N * params.r }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  )
}

async function baseline(db: Database, email: string) {
  const key = new TextEncoder().encode(SECRET)
  const salt = randomBytes(16)
  const hash = await scryptHash(PASSWORD, salt, EQUAL_COST)
  await db.query(
    `create table if not exists public.bench_users (id uuid primary key default gen_random_uuid(), email text unique,
       salt bytea, hash bytea);
     create table if not exists public.bench_sessions (id uuid primary key default gen_random_uuid(), user_id uuid,
       refresh text, created_at timestamptz default now())`,
  )
  await db.query('insert into public.bench_users (email, salt, hash) values ($1, $2, $3)', [
    email,
    salt,
    hash,
  ])
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', async () => {
      try {
        if (req.url?.startsWith('/token')) {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as { email: string; password: string }
          const { rows } = await db.query<{ id: string; salt: Buffer; hash: Buffer }>(
            'select id, salt, hash from public.bench_users where email = $1',
            [body.email],
          )
          const user = rows[0]
          if (!user || !(await scryptHash(body.password, user.salt, EQUAL_COST)).equals(user.hash)) {
            res.writeHead(400).end()
            return
          }
          const refresh = randomBytes(16).toString('base64url')
          const session = await db.query<{ id: string }>(
            'insert into public.bench_sessions (user_id, refresh) values ($1, $2) returning id',
            [user.id, refresh],
          )
          const now = Math.floor(Date.now() / 1000)
          const token = await new SignJWT({
            sub: user.id,
            role: 'authenticated',
            session_id: session.rows[0]?.id,
          })
            .setProtectedHeader({ alg: 'HS256' })
            .setIssuedAt(now)
            .setExpirationTime(now + 3600)
            .sign(key)
          res.writeHead(200, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ access_token: token, refresh_token: refresh }))
          return
        }
        const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? ''
        const { payload } = await jwtVerify(bearer, key)
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ sub: payload.sub }))
      } catch {
        res.writeHead(401).end()
      }
    })
  })
  server.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const ORDER = [
  'sign-in   groundwork (equal cost)',
  'sign-in   better-auth email (default cost)',
  'sign-in   node:http+pg baseline (equal cost)',
  'sign-in   groundwork (our default cost)',
  'refresh   groundwork (rotation)',
  'verify    groundwork GET /user',
  'verify    groundwork auth.authenticate (JWT)',
  'verify    groundwork auth.authenticate + session',
  'verify    better-auth get-session',
  'verify    node:http+jose baseline (JWT)',
]

// --- run --------------------------------------------------------------------------------------

function table(rows: Measured[]): void {
  const width = Math.max(...rows.map((row) => row.name.length))
  for (const row of rows) {
    console.log(
      `  ${row.name.padEnd(width)}  ${row.rps.toFixed(0).padStart(7)} req/s   p50 ${String(row.p50).padStart(4)} ms   p99 ${String(row.p99).padStart(4)} ms`,
    )
  }
}

function best(results: Measured[][], name: string): Measured {
  const all = results.flat().filter((row) => row.name === name)
  return all.reduce((a, b) => (b.rps > a.rps ? b : a))
}

function ratio(label: string, ours: Measured, theirs: Measured): void {
  const value =
    ours.rps > 0 && theirs.rps > 0 ? `${(ours.rps / theirs.rps).toFixed(2)}×` : 'n/a (no completed requests)'
  console.log(`  ${label.padEnd(60)} ${value}`)
}

async function main(): Promise<void> {
  const suffix = randomBytes(4).toString('hex')
  const ours = `gw_auth_bench_${suffix}`
  const theirs = `gw_auth_bench_${suffix}_ba`
  await admin(async (client) => {
    await client.query(`create database ${quoteIdent(ours)}`)
    await client.query(`create database ${quoteIdent(theirs)}`)
  })
  const db = createDatabase({ connectionString: withDatabase(ADMIN_URL, ours), max: 10 })
  const servers: TestServer[] = []
  const closers: (() => Promise<void>)[] = []
  try {
    const { migrations: authMigrations } = await import('../src/index')
    await migrate(db, [coreMigrations, authMigrations])
    const equal = await groundwork(db, EQUAL_COST, 'equal@bench.test')
    const strong = await groundwork(db, OUR_DEFAULT, 'strong@bench.test')
    const verifying = createAuth({ db, jwt: { secret: SECRET }, verifySessions: true })
    servers.push(equal.server, strong.server)
    const ba = await betterAuthStack(withDatabase(ADMIN_URL, theirs), 'ba@bench.test')
    servers.push(ba.server)
    closers.push(() => ba.pool.end())
    const base = await baseline(db, 'base@bench.test')
    closers.push(base.close)

    // Stateless verification as REST/realtime do it (auth.authenticate), with and without the session check.
    const whoami =
      (authenticate: (request: Request) => Promise<{ claims: { sub?: unknown } }>) =>
      async (request: Request) =>
        Response.json({ sub: (await authenticate(request)).claims.sub })
    const verifyServer = await serve(whoami(equal.auth.authenticate))
    const verifySessionServer = await serve(whoami(verifying.authenticate))
    servers.push(verifyServer, verifySessionServer)
    const token = (await signInOnce(equal.server.origin, 'equal@bench.test')).access_token
    const baseToken = (
      (await (
        await fetch(`${base.origin}/token`, {
          method: 'POST',
          body: JSON.stringify({ email: 'base@bench.test', password: PASSWORD }),
        })
      ).json()) as { access_token: string }
    ).access_token

    console.log(
      `@groundwork/auth bench — ${CONNECTIONS} connections (sign-in: ${SIGNIN_CONNECTIONS}), ${DURATION}s per measurement (sign-in: ${SIGNIN_DURATION}s), ${ROUNDS} rounds`,
    )
    console.log(
      `machine: ${cpus().length} CPUs, load average ${loadavg()
        .map((n) => n.toFixed(1))
        .join(' ')} (server, Postgres and load generator share them)`,
    )
    console.log(
      `hash cost for the equal-cost comparison: scrypt N=${EQUAL_COST.N} r=${EQUAL_COST.r} p=${EQUAL_COST.p} (better-auth's default)`,
    )
    console.log(
      `our default: scrypt N=2^17 r=8 p=1 (OWASP); libuv threadpool: ${process.env.UV_THREADPOOL_SIZE ?? 4} threads\n`,
    )

    const signInBody = (email: string) => JSON.stringify({ email, password: PASSWORD })
    const results: Measured[][] = []
    for (let round = 1; round <= ROUNDS; round++) {
      const rows: Measured[] = []
      // Competitors take turns going first (odd rounds in order, even rounds reversed), so load
      // drift on a shared machine does not always favour the same side.
      const ordered = <T>(items: T[]) => (round % 2 === 1 ? items : [...items].reverse())
      const signIns: (() => Promise<Measured>)[] = [
        () =>
          load('sign-in   groundwork (equal cost)', {
            connections: SIGNIN_CONNECTIONS,
            timeout: SIGNIN_TIMEOUT,
            duration: SIGNIN_DURATION,
            url: `${equal.server.origin}/auth/v1/token?grant_type=password`,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: signInBody('equal@bench.test'),
          }),
        () =>
          load('sign-in   better-auth email (default cost)', {
            connections: SIGNIN_CONNECTIONS,
            timeout: SIGNIN_TIMEOUT,
            duration: SIGNIN_DURATION,
            url: `${ba.origin}/api/auth/sign-in/email`,
            method: 'POST',
            headers: { 'content-type': 'application/json', origin: ba.origin },
            body: signInBody('ba@bench.test'),
          }),
        () =>
          load('sign-in   node:http+pg baseline (equal cost)', {
            connections: SIGNIN_CONNECTIONS,
            timeout: SIGNIN_TIMEOUT,
            duration: SIGNIN_DURATION,
            url: `${base.origin}/token`,
            method: 'POST',
            body: signInBody('base@bench.test'),
          }),
        () =>
          load('sign-in   groundwork (our default cost)', {
            connections: SIGNIN_CONNECTIONS,
            timeout: SIGNIN_TIMEOUT,
            // ~5× the work per hash (128 MiB, N=2^17).
            duration: 2 * SIGNIN_DURATION,
            url: `${strong.server.origin}/auth/v1/token?grant_type=password`,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: signInBody('strong@bench.test'),
          }),
      ]
      for (const measure of ordered(signIns)) rows.push(await measure())
      // Each connection rotates its own refresh-token chain.
      const chains = await Promise.all(
        Array.from({ length: CONNECTIONS }, () => signInOnce(equal.server.origin, 'equal@bench.test')),
      )
      let next = 0
      rows.push(
        await load('refresh   groundwork (rotation)', {
          url: `${equal.server.origin}/auth/v1/token?grant_type=refresh_token`,
          requests: [
            {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              setupRequest: (request, context) => {
                context.token ??= chains[next++ % chains.length]?.refresh_token
                return { ...request, body: JSON.stringify({ refresh_token: context.token }) }
              },
              onResponse: (_status, body, context) => {
                context.token = (JSON.parse(body) as { refresh_token: string }).refresh_token
              },
            },
          ],
        }),
      )
      const verifications: (() => Promise<Measured>)[] = [
        () =>
          load('verify    groundwork GET /user', {
            url: `${equal.server.origin}/auth/v1/user`,
            headers: { authorization: `Bearer ${token}` },
          }),
        () =>
          load('verify    groundwork auth.authenticate (JWT)', {
            url: verifyServer.origin,
            headers: { authorization: `Bearer ${token}` },
          }),
        () =>
          load('verify    groundwork auth.authenticate + session', {
            url: verifySessionServer.origin,
            headers: { authorization: `Bearer ${token}` },
          }),
        () =>
          load('verify    better-auth get-session', {
            url: `${ba.origin}/api/auth/get-session`,
            headers: { cookie: ba.cookie },
          }),
        () =>
          load('verify    node:http+jose baseline (JWT)', {
            url: base.origin,
            headers: { authorization: `Bearer ${baseToken}` },
          }),
      ]
      for (const measure of ordered(verifications)) rows.push(await measure())
      console.log(`round ${round}${round % 2 === 0 ? ' (reversed order)' : ''}`)
      table([...rows].sort((a, b) => ORDER.indexOf(a.name) - ORDER.indexOf(b.name)))
      results.push(rows)
    }

    const get = (name: string) => best(results, name)
    console.log('\nratios (best round of each; > 1 means Groundwork is faster)')
    ratio(
      'sign-in, equal cost: groundwork / better-auth',
      get('sign-in   groundwork (equal cost)'),
      get('sign-in   better-auth email (default cost)'),
    )
    ratio(
      'sign-in, equal cost: groundwork / node:http+pg baseline',
      get('sign-in   groundwork (equal cost)'),
      get('sign-in   node:http+pg baseline (equal cost)'),
    )
    ratio(
      'sign-in: groundwork default cost / better-auth',
      get('sign-in   groundwork (our default cost)'),
      get('sign-in   better-auth email (default cost)'),
    )
    ratio(
      'refresh rotation (writes) / better-auth get-session (reads)',
      get('refresh   groundwork (rotation)'),
      get('verify    better-auth get-session'),
    )
    ratio(
      'GET /user / better-auth get-session',
      get('verify    groundwork GET /user'),
      get('verify    better-auth get-session'),
    )
    ratio(
      'auth.authenticate + session / better-auth get-session',
      get('verify    groundwork auth.authenticate + session'),
      get('verify    better-auth get-session'),
    )
    ratio(
      'auth.authenticate (JWT) / better-auth get-session',
      get('verify    groundwork auth.authenticate (JWT)'),
      get('verify    better-auth get-session'),
    )
    ratio(
      'auth.authenticate (JWT) / node:http+jose baseline',
      get('verify    groundwork auth.authenticate (JWT)'),
      get('verify    node:http+jose baseline (JWT)'),
    )
  } finally {
    for (const server of servers) await server.close()
    for (const close of closers) await close()
    await db.close()
    await admin(async (client) => {
      await client.query(`drop database if exists ${quoteIdent(ours)} with (force)`)
      await client.query(`drop database if exists ${quoteIdent(theirs)} with (force)`)
    })
  }
}

await main()
