/**
 * `pnpm bench` for @groundwork/push: one notification fanned out to 10,000 FCM devices through
 * the test FCM server (its own process: OAuth bearer checked, message validated on every send),
 * against the limit — a hand-written loop sending the same 10,000 requests over one HTTP/2
 * connection with as many streams in flight as the server allows, token minted beforehand. Same
 * run, rounds interleaved (loop, push, loop, push, …), medians reported: deliveries/s, time to the
 * last delivery the server accepted, peak RSS of this process, and the ratio push ÷ loop.
 *
 * The push rounds measure the whole path a user's send takes: `push.api.send` (notification row
 * + fan-out job), the fan-out job creating the deliveries in batches, the delivery jobs claiming
 * them, sending over the provider's one HTTP/2 connection and recording every outcome.
 *
 * Uses the built package (self-reference `@groundwork/push` → dist). DATABASE_URL names the
 * server (a scratch database is created and dropped there); without it an embedded PostgreSQL is
 * started for the run. Sized for 2 cores: BENCH_DEVICES (10000), BENCH_ROUNDS (5 per scenario),
 * BENCH_LATENCIES (the server's answer delays to run, default `0,25` ms). With no delay the run is
 * CPU-bound, so push is charged for its bookkeeping (Postgres on the same cores, the jobs runner);
 * with a network-like delay it shows whether push keeps the one connection as busy as the loop.
 */
import { fork } from 'node:child_process'
import { createSign, randomBytes } from 'node:crypto'
import http2 from 'node:http2'
import {
  migrations as coreMigrations,
  createDatabase,
  type Database,
  migrate,
  quoteIdent,
} from '@groundwork/core'
import { createJobs, migrations as jobsMigrations } from '@groundwork/jobs'
import { createPush, fcmProvider, migrations as pushMigrations } from '@groundwork/push'
import pg from 'pg'

const DEVICES = Number(process.env.BENCH_DEVICES ?? 10_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
/** Server answer delays to measure: 0 (CPU-bound: the hardest case for push) and a network-like one. */
const LATENCIES = (process.env.BENCH_LATENCIES ?? '0,25').split(',').map(Number)
const STREAMS = 100
const TOPIC = 'bench'
const NOTIFICATION = { title: 'Breaking', body: 'Something happened, and you should know about it.' }

interface Server {
  url: string
  credentials: { client_email: string; private_key: string; token_uri: string; project_id: string }
  /** Resolves with the accept times of the next `count` sends. */
  expect(count: number): Promise<{ firstAt: number; lastAt: number }>
  latency(ms: number): void
  stop(): void
}

async function startServer(): Promise<Server> {
  const child = fork(new URL('../test/fixtures/fcm-server-child.ts', import.meta.url), [
    JSON.stringify({ maxConcurrentStreams: STREAMS, projectId: 'bench' }),
  ])
  const ready = await new Promise<{ url: string; credentials: Server['credentials'] }>((resolve, reject) => {
    child.once('message', (message) =>
      resolve(message as { url: string; credentials: Server['credentials'] }),
    )
    child.once('exit', (code) => reject(new Error(`the FCM server exited (${code})`)))
  })
  return {
    ...ready,
    expect(count) {
      return new Promise((resolve) => {
        const onMessage = (message: { type: string; firstAt: number; lastAt: number }) => {
          if (message.type !== 'done') return
          child.off('message', onMessage)
          resolve(message)
        }
        child.on('message', onMessage)
        child.send({ type: 'expect', count })
      })
    },
    latency: (ms) => child.send({ type: 'latency', ms }),
    stop: () => child.send({ type: 'stop' }),
  }
}

/** Peak RSS of this process while `fn` runs (sampled every 10 ms). */
async function peakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = process.memoryUsage().rss
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 10)
  try {
    const result = await fn()
    return { result, peak: Math.max(peak, process.memoryUsage().rss) }
  } finally {
    clearInterval(sampler)
  }
}

/** The limit: 10,000 requests over one HTTP/2 connection, `STREAMS` in flight, nothing else. */
async function handLoop(server: Server, tokens: string[], accessToken: string): Promise<number> {
  const session = http2.connect(server.url)
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve())
    session.once('error', reject)
  })
  const path = `/v1/projects/${server.credentials.project_id}/messages:send`
  const done = server.expect(tokens.length)
  const started = Date.now()
  let next = 0
  const worker = async () => {
    while (next < tokens.length) {
      const token = tokens[next++] as string
      await new Promise<void>((resolve, reject) => {
        const stream = session.request({
          ':method': 'POST',
          ':path': path,
          authorization: `Bearer ${accessToken}`,
          'content-type': 'application/json; charset=utf-8',
        })
        let status = 0
        stream.on('response', (headers) => {
          status = Number(headers[':status'])
        })
        stream.on('data', () => {})
        stream.on('end', () => (status === 200 ? resolve() : reject(new Error(`FCM answered ${status}`))))
        stream.on('error', reject)
        stream.end(JSON.stringify({ message: { token, notification: NOTIFICATION } }))
      })
    }
  }
  await Promise.all(Array.from({ length: STREAMS }, worker))
  const { lastAt } = await done
  session.close()
  return lastAt - started
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

async function main() {
  let embedded: { url: string; stop(): Promise<void> } | undefined
  let baseUrl = process.env.DATABASE_URL
  if (!baseUrl) {
    const { startEmbeddedPostgres } = await import('@groundwork/core/embedded')
    embedded = await startEmbeddedPostgres()
    baseUrl = embedded.url
  }
  const name = `gw_push_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: baseUrl })
  await admin.connect()
  await admin.query(`create database ${quoteIdent(name)}`)
  const url = new URL(baseUrl)
  url.pathname = `/${name}`
  const db: Database = createDatabase({ connectionString: url.toString(), max: 10 })
  const server = await startServer()
  try {
    await migrate(db, [coreMigrations, jobsMigrations, pushMigrations])
    const { rows } = await db.query<{ id: string; token: string }>(
      `with d as (
         insert into push.devices (user_id, provider, token)
         select gen_random_uuid(), 'fcm', 'bench:' || md5(i::text) || md5((i * 7)::text) from generate_series(1, $1) i
         returning id, token)
       , t as (insert into push.device_topics (device_id, topic) select id, $2 from d)
       select id::text, token from d`,
      [DEVICES, TOPIC],
    )
    const tokens = rows.map((row) => row.token)
    // Statistics, as a production table of this many devices has them (autovacuum analyzes a
    // freshly loaded table only after a minute or so; until then the planner believes it small
    // and each fan-out step hashes every subscriber). push.deliveries is not analyzed: it churns
    // with every notification, and its queries are written to be bounded without statistics.
    await db.query('analyze push.devices, push.device_topics')

    // The hand loop gets its token from the same server, outside the timed part.
    const tokenResponse = await fetch(server.credentials.token_uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: jwtAssertion(server.credentials),
      }),
    })
    const accessToken = ((await tokenResponse.json()) as { access_token: string }).access_token

    // Defaults throughout: what a user gets from createPush and createJobs.
    const push = createPush({
      db,
      providers: [fcmProvider({ credentials: server.credentials as never, url: server.url })],
    })
    const jobs = createJobs({ db, tasks: push.tasks, history: false })
    await jobs.start()
    // Warm-up: the OAuth token and the connection, as the loop has them.
    const warm = server.expect(1)
    await push.api.send({ to: { deviceIds: [rows[0]?.id as string] }, notification: NOTIFICATION })
    await warm

    const rate = (ms: number) => Math.round((DEVICES / ms) * 1000)
    const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`
    const report: string[] = []
    for (const latency of LATENCIES) {
      server.latency(latency)
      const loop: { ms: number; peak: number }[] = []
      const ours: { ms: number; peak: number; recordedMs: number }[] = []
      for (let round = 0; round < ROUNDS; round++) {
        globalThis.gc?.()
        const a = await peakRss(() => handLoop(server, tokens, accessToken))
        loop.push({ ms: a.result, peak: a.peak })
        globalThis.gc?.()
        const b = await peakRss(async () => {
          const done = server.expect(DEVICES)
          const started = Date.now()
          const { id } = await push.api.send({ to: { topic: TOPIC }, notification: NOTIFICATION })
          const { lastAt } = await done
          for (;;) {
            const status = await push.api.notification(id, { limit: 0 })
            if (status?.counts.sent === DEVICES) break
            await new Promise((resolve) => setTimeout(resolve, 10))
          }
          return { ms: lastAt - started, recordedMs: Date.now() - started }
        })
        ours.push({ ...b.result, peak: b.peak })
        console.log(
          `latency ${latency} ms, round ${round + 1}: loop ${a.result} ms, push ${b.result.ms} ms to the last delivery (${b.result.recordedMs} ms until all recorded)`,
        )
      }
      const loopMs = median(loop.map((r) => r.ms))
      const oursMs = median(ours.map((r) => r.ms))
      report.push(`server latency ${latency} ms:
  hand-written loop (1 HTTP/2 connection): ${rate(loopMs)} deliveries/s, last delivery after ${loopMs} ms, peak RSS ${mb(Math.max(...loop.map((r) => r.peak)))}
  push.api.send → jobs → FCM provider:    ${rate(oursMs)} deliveries/s, last delivery after ${oursMs} ms, all recorded after ${median(ours.map((r) => r.recordedMs))} ms, peak RSS ${mb(Math.max(...ours.map((r) => r.peak)))}
  ratio push ÷ loop: ${(loopMs / oursMs).toFixed(2)}× (target ≥ 0.8×)`)
    }
    await jobs.close()
    await push.close()
    console.log(
      `\n@groundwork/push bench — one notification to ${DEVICES} FCM devices, ${ROUNDS} interleaved rounds per scenario (medians), ${STREAMS} streams\n${report.join('\n')}`,
    )
  } finally {
    server.stop()
    await db.close()
    await admin.query(`drop database if exists ${quoteIdent(name)} with (force)`)
    await admin.end()
    await embedded?.stop()
  }
}

/** The service account's JWT-bearer assertion, signed by hand (the loop gets its token itself). */
function jwtAssertion(account: Server['credentials']): string {
  const now = Math.floor(Date.now() / 1000)
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({
    iss: account.client_email,
    scope: 'https://www.googleapis.com/auth/firebase.messaging',
    aud: 'https://oauth2.googleapis.com/token',
    iat: now,
    exp: now + 3600,
  })}`
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(account.private_key, 'base64url')}`
}

await main()
