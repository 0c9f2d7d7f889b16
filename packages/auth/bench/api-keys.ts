/**
 * `pnpm bench` for API keys: what an app key costs REST, how fast keys verify, and how close
 * leased budgets shared by two instances come to their limit.
 *
 * 1. REST `GET /items?id=eq.<n>` (by primary key) through `createRest({ authenticate:
 *    auth.authenticate })` and core's `toNodeHandler`, measured with autocannon in interleaved
 *    rounds: with an app key (its app's rate limit on, generous) vs with a user's JWT (the default
 *    `verifySessions`: one session query per request) and vs a JWT trusted on its signature alone.
 *    Target: app key ≥ 0.90× the user JWT.
 * 2. Keys verified per second: `auth.authenticate` in-process on a warm cache (hash compare,
 *    claims, the lease spent in memory), one caller and 16 concurrent ones.
 * 3. Rate-limit accuracy: two `createAuth` instances (separate pools) on one database drive one
 *    app budget (2,000 requests per 2-second window) far past it for ten windows; the admitted
 *    and granted requests of each full window are compared with the limit.
 *
 * DATABASE_URL names the server (a scratch database is created and dropped there).
 * Knobs: BENCH_DURATION (s per measurement, 5), BENCH_CONNECTIONS (16), BENCH_ROUNDS (3).
 */
import { randomBytes } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import {
  migrations as coreMigrations,
  createDatabase,
  type Database,
  migrate,
  quoteIdent,
} from '@groundwork/core'
import { createRest, migrations as restMigrations } from '@groundwork/rest'
import autocannon from 'autocannon'
import pg from 'pg'
import { type Auth, migrations as authMigrations, createAuth } from '../src/index'
import { serve, type TestServer } from '../test/support/serve'

const DURATION = Number(process.env.BENCH_DURATION ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const SECRET = randomBytes(32).toString('hex')
const ROWS = 1000

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

async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

/** autocannon over `GET /items?id=eq.<n>` with rotating ids; throws on any failed request. */
async function load(
  name: string,
  url: string,
  headers: Record<string, string>,
  duration = DURATION,
): Promise<Measured> {
  let n = 0
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    headers,
    requests: [
      { setupRequest: (request) => ({ ...request, path: `/rest/v1/items?id=eq.${(n++ % ROWS) + 1}` }) },
    ],
  })
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
    throw new Error(`${name}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts`)
  }
  return { name, rps: result.requests.total / duration, p50: result.latency.p50, p99: result.latency.p99 }
}

/** Calls of `fn` per second over `seconds`, with `concurrency` callers. */
async function perSecond(fn: () => Promise<unknown>, seconds: number, concurrency: number): Promise<number> {
  let count = 0
  const until = performance.now() + seconds * 1000
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await fn()
        count++
      }
    }),
  )
  return count / seconds
}

async function restStack(db: Database, auth: Auth): Promise<TestServer> {
  const rest = createRest({ db, authenticate: auth.authenticate })
  await rest.start()
  return serve(rest.handler, '/rest/v1')
}

/**
 * Two instances drive one budget (`limit` per `windowSeconds`) with `workers` callers each for
 * `windows` windows; per full window: admitted (counted here) and granted (Postgres' `used`).
 */
async function accuracy(
  url: string,
  limit: number,
  windowSeconds: number,
  windows: number,
  workers: number,
  /** Whether instance `i` sends load at `phase` (0–1) of a window. */
  active: (i: number, phase: number) => boolean = () => true,
  /** Milliseconds each caller waits between requests (0: none). */
  pause = 0,
) {
  const pools = [0, 1].map(() => createDatabase({ connectionString: url, max: 4 }))
  let leaseRequests = 0
  for (const db of pools) {
    const query = db.query
    Object.assign(db, {
      query: (text: string, values?: unknown[]) => {
        if (typeof text === 'string' && text.includes('insert into auth.api_usage')) leaseRequests++
        return query(text, values)
      },
    })
  }
  const instances = pools.map((db) => createAuth({ db, jwt: { secret: SECRET } }))
  const [first] = instances as [Auth, Auth]
  const app = await first.api.apps.create({
    name: `accuracy ${limit}/${windowSeconds}s`,
    rate_limit: { requests: limit, window_seconds: windowSeconds },
  })
  const { key } = await first.api.keys.create({ name: 'load', type: 'publishable', app_id: app.id })
  const windowMs = windowSeconds * 1000
  // Start at a window boundary, so the first and last windows are full ones.
  await new Promise((resolve) => setTimeout(resolve, windowMs - (Date.now() % windowMs) + 5))
  const start = Date.now()
  const until = start + windows * windowMs
  const admitted = new Map<number, number>()
  let refused = 0
  await Promise.all(
    instances.flatMap((auth, i) =>
      Array.from({ length: workers }, async () => {
        while (Date.now() < until) {
          if (!active(i, (Date.now() % windowMs) / windowMs)) {
            await new Promise((resolve) => setTimeout(resolve, 5))
            continue
          }
          try {
            const { rateLimit } = await auth.authenticate(
              new Request('http://localhost/', { headers: { apikey: key } }),
            )
            // The window of the lease the request spent (its end is `reset` seconds away).
            const end = Date.now() + (rateLimit?.reset ?? 0) * 1000
            const window = Math.round(end / windowMs) - 1
            admitted.set(window, (admitted.get(window) ?? 0) + 1)
            if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause))
          } catch {
            refused++
            // A refused client comes back over the network, not in the same microtask.
            await new Promise((resolve) => setImmediate(resolve))
          }
        }
      }),
    ),
  )
  const [reader] = pools as [Database, Database]
  const { rows } = await reader.query<{ window: string; used: number }>(
    'select floor(extract(epoch from window_start) * 1000 / $2)::bigint::text as window, used from auth.api_usage where bucket = $1',
    [app.id, windowMs],
  )
  const granted = new Map(rows.map((row) => [Number(row.window), row.used]))
  const first_ = Math.floor(start / windowMs)
  const result = Array.from({ length: windows }, (_, i) => ({
    window: i + 1,
    admitted: admitted.get(first_ + i) ?? 0,
    granted: granted.get(first_ + i) ?? 0,
  }))
  await Promise.all(instances.map((auth) => auth.close()))
  await Promise.all(pools.map((db) => db.close()))
  return { result, refused, leaseRequests }
}

async function main(): Promise<void> {
  const name = `gw_keys_bench_${randomBytes(4).toString('hex')}`
  await admin(`create database ${quoteIdent(name)}`)
  const url = withDatabase(ADMIN_URL, name)
  // More connections than autocannon keeps in flight, twice over: when a run ends, every request
  // still in flight is aborted and core's cancelOnAbort takes a second pooled connection for its
  // pg_cancel_backend while holding the first (with a pool of 10 and 16 aborted requests, that
  // waits forever).
  const db = createDatabase({ connectionString: url, max: 2 * CONNECTIONS + 4 })
  const servers: TestServer[] = []
  const services: Auth[] = []
  try {
    await migrate(db, [coreMigrations, authMigrations, restMigrations])
    await db.query(`
      create table public.items (id int primary key, name text not null, owner uuid);
      insert into public.items select n, 'item ' || n, null from generate_series(1, ${ROWS}) n;
      grant select on public.items to anon, authenticated, service_role;`)

    const auth = createAuth({
      db,
      jwt: { secret: SECRET },
      rateLimits: { signIn: false, signInPerEmail: false },
    })
    const signatureOnly = createAuth({ db, jwt: { secret: SECRET }, verifySessions: false })
    services.push(auth, signatureOnly)
    const user = await auth.api.admin.createUser({
      email: 'bench@keys.test',
      password: 'bench password 1',
      email_confirm: true,
    })
    const { session } = await auth.api.signInWithPassword({
      email: 'bench@keys.test',
      password: 'bench password 1',
    })
    const jwt = session?.access_token as string
    const app = await auth.api.apps.create({
      name: 'bench',
      owner_id: user.id,
      // Generous but on: every request spends it, leases of 1% (1,000,000) are taken from Postgres.
      rate_limit: { requests: 100_000_000, window_seconds: 60 },
    })
    const appKey = await auth.api.keys.create({
      name: 'bench',
      type: 'app',
      app_id: app.id,
      scopes: ['read'],
      allowed_tables: ['public.items'],
    })

    const server = await restStack(db, auth)
    const statelessServer = await restStack(db, signatureOnly)
    servers.push(server, statelessServer)
    const variants: [string, string, Record<string, string>][] = [
      [
        'REST GET by pk, app key (rate limit on)',
        server.origin,
        { authorization: `Bearer ${appKey.key}`, apikey: appKey.key },
      ],
      ['REST GET by pk, user JWT (session checked)', server.origin, { authorization: `Bearer ${jwt}` }],
      [
        'REST GET by pk, user JWT (signature only)',
        statelessServer.origin,
        { authorization: `Bearer ${jwt}` },
      ],
    ]
    for (const [label, origin, headers] of variants) {
      const probe = await fetch(`${origin}/rest/v1/items?id=eq.1`, { headers })
      if (probe.status !== 200) throw new Error(`${label}: ${probe.status} ${await probe.text()}`)
    }

    console.log(
      `@groundwork/auth API-key bench — ${CONNECTIONS} connections, ${DURATION}s per measurement, ${ROUNDS} rounds`,
    )
    console.log(
      `machine: ${cpus().length} CPUs, load average ${loadavg()
        .map((n) => n.toFixed(1))
        .join(' ')} (server, Postgres and load generator share them)\n`,
    )
    // Warm-up (connections, plans, the key cache and the first lease), not measured.
    for (const [label, origin, headers] of variants) await load(label, origin, headers, 1)
    const best = new Map<string, Measured>()
    for (let round = 1; round <= ROUNDS; round++) {
      // Who goes first alternates, so drift hits every variant alike.
      const order = round % 2 === 1 ? variants : [...variants].reverse()
      for (const [label, origin, headers] of order) {
        const measured = await load(label, origin, headers)
        console.log(
          `  round ${round}  ${label.padEnd(44)} ${measured.rps.toFixed(0).padStart(6)} req/s   p50 ${measured.p50} ms   p99 ${measured.p99} ms`,
        )
        if ((best.get(label)?.rps ?? 0) < measured.rps) best.set(label, measured)
      }
    }
    const [keyed, sessioned, stateless] = variants.map(([label]) => best.get(label) as Measured) as [
      Measured,
      Measured,
      Measured,
    ]
    console.log('\nbest round:')
    for (const row of [keyed, sessioned, stateless]) {
      console.log(`  ${row.name.padEnd(44)} ${row.rps.toFixed(0).padStart(6)} req/s`)
    }
    console.log(
      `  app key / user JWT (session checked): ${(keyed.rps / sessioned.rps).toFixed(2)}× (target ≥ 0.90×)`,
    )
    console.log(`  app key / user JWT (signature only):  ${(keyed.rps / stateless.rps).toFixed(2)}×`)

    // Keys verified per second, in-process on a warm cache.
    const keyRequest = () =>
      auth.authenticate(
        new Request('http://localhost/', { headers: { authorization: `Bearer ${appKey.key}` } }),
      )
    const jwtRequest = () =>
      signatureOnly.authenticate(
        new Request('http://localhost/', { headers: { authorization: `Bearer ${jwt}` } }),
      )
    await keyRequest()
    const serial = await perSecond(keyRequest, 3, 1)
    const parallel = await perSecond(keyRequest, 3, 16)
    const jwtSerial = await perSecond(jwtRequest, 3, 1)
    console.log('\nkeys verified per second (auth.authenticate, warm cache, budget spent in memory):')
    console.log(`  app key, 1 caller:    ${serial.toFixed(0).padStart(8)} /s`)
    console.log(`  app key, 16 callers:  ${parallel.toFixed(0).padStart(8)} /s`)
    console.log(`  (user JWT, signature only, 1 caller: ${jwtSerial.toFixed(0)} /s)`)
    const { rows: usage } = await db.query<{ used: number }>(
      'select coalesce(sum(used), 0)::int as used from auth.api_usage where bucket = $1',
      [app.id],
    )
    console.log(
      `  budget leased from Postgres for the bench app: ${usage[0]?.used} (leases of at most 1,000,000)`,
    )

    // Accuracy of one budget shared by two instances.
    const limit = 2000
    const scenarios: [string, (i: number, phase: number) => boolean, number][] = [
      ['both instances flat out', () => true, 0],
      // ~1,600 requests/s offered (8 callers × 2 instances, 10 ms apart): the budget lasts about
      // 60% of a window, and the first instance goes idle halfway, holding its unspent lease.
      ['paced load, the first instance idle from mid-window', (i, phase) => i === 1 || phase < 0.5, 10],
    ]
    for (const [label, active, pause] of scenarios) {
      const { result, refused, leaseRequests } = await accuracy(url, limit, 2, 10, 8, active, pause)
      console.log(`\nrate-limit accuracy, ${label}: one budget of ${limit} per 2 s, 8 callers per instance:`)
      console.log(
        result
          .map(
            (row) =>
              `  window ${String(row.window).padStart(2)}: admitted ${row.admitted} (${((row.admitted / limit) * 100).toFixed(1)}%), granted ${row.granted}`,
          )
          .join('\n'),
      )
      const admitted = result.map((row) => row.admitted)
      const total = admitted.reduce((x, y) => x + y, 0)
      console.log(
        `  admitted per window: min ${Math.min(...admitted)}, max ${Math.max(...admitted)} of ${limit}; ${total} admitted with ${leaseRequests} lease requests (${(total / leaseRequests).toFixed(0)} requests per round trip); ${refused} refused with 429`,
      )
    }
  } finally {
    await Promise.all(servers.map((server) => server.close()))
    await Promise.all(services.map((service) => service.close()))
    await db.close()
    await admin(`drop database if exists ${quoteIdent(name)} with (force)`)
  }
}

await main()
