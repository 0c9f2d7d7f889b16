/**
 * `pnpm bench` for @groundwork/webhooks, two measurements:
 *
 * 1. Webhook deliveries/s to a local receiver (its own process): one INSERT of BENCH_MESSAGES rows
 *    into a watched table — captured by the database into the outbox, delivered by the jobs
 *    runner, signed (v1 HMAC), every outcome recorded — against the limit: a hand-written loop
 *    POSTing the same signed payloads with the same concurrency over keep-alive connections.
 *    Same run, rounds interleaved (loop, webhooks, …), medians. Target ≥ 0.8×.
 * 2. The overhead of metrics on REST GET by primary key: `rest.handler` called directly vs.
 *    wrapped in `observe(…, { metrics })` (request id, counter, histogram), same requests,
 *    interleaved rounds, medians — printed, but on a 2-core machine shared with Postgres that
 *    difference is noise (±10%); so the target (≤ 5 %) is judged on cost: the CPU `observe` adds
 *    per request over the Node CPU one GET by primary key costs.
 *
 * Uses the built packages. DATABASE_URL names the server (a scratch database is created and
 * dropped); without it an embedded PostgreSQL is started. BENCH_MESSAGES (10000), BENCH_ROUNDS (5),
 * BENCH_CONCURRENCY (32 in flight), BENCH_REQUESTS (4000 REST GETs per round).
 */
import { type ChildProcess, fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import {
  migrations as coreMigrations,
  createDatabase,
  createJwtAuthenticator,
  createMetrics,
  type Database,
  migrate,
  observe,
  quoteIdent,
} from '@groundwork/core'
import { createJobs, migrations as jobsMigrations } from '@groundwork/jobs'
import { migrations as realtimeMigrations } from '@groundwork/realtime'
import { createRest, migrations as restMigrations } from '@groundwork/rest'
import { createWebhooks, signatureHeader, migrations as webhooksMigrations } from '@groundwork/webhooks'
import pg from 'pg'
import * as promClient from 'prom-client'

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32)
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 4000)

interface Receiver {
  url: string
  expect(count: number): Promise<{ firstAt: number; lastAt: number }>
  stop(): void
}

async function startReceiver(): Promise<Receiver> {
  const child: ChildProcess = fork(new URL('./receiver-child.ts', import.meta.url))
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { url: string }).url))
    child.once('exit', (code) => reject(new Error(`the receiver exited (${code})`)))
  })
  return {
    url,
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
    stop: () => child.send({ type: 'stop' }),
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

/** The limit: the same signed payloads POSTed by a loop with CONCURRENCY in flight. */
async function handLoop(url: string, bodies: string[], secret: string): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const target = new URL(url)
  const started = performance.now()
  let next = 0
  const post = (body: string, id: string) =>
    new Promise<void>((resolve, reject) => {
      const timestamp = Math.floor(Date.now() / 1000)
      const payload = Buffer.from(body)
      const request = http.request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': String(payload.length),
            'webhook-id': id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signatureHeader([{ kind: 'v1', secret }], id, timestamp, body),
          },
        },
        (response) => {
          response.resume()
          response.on('end', () => resolve())
        },
      )
      request.on('error', reject)
      request.end(payload)
    })
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const i = next++
        await post(bodies[i] as string, `msg_${i}`)
      }
    }),
  )
  const elapsed = performance.now() - started
  agent.destroy()
  return elapsed
}

async function benchWebhooks(db: Database, receiver: Receiver) {
  await db.query(
    'create table public.bench_events (id int primary key, body text not null, at timestamptz not null default now())',
  )
  const webhooks = createWebhooks({ db, allowHosts: ['127.0.0.1'], maxConcurrency: CONCURRENCY })
  const jobs = createJobs({ db, tasks: webhooks.tasks, pollInterval: 50, concurrency: 4 })
  const endpoint = await webhooks.api.create({
    url: receiver.url,
    table: 'public.bench_events',
    events: ['INSERT'],
    maxConcurrency: CONCURRENCY,
  })
  await jobs.start()
  const bodies = Array.from({ length: MESSAGES }, (_, i) =>
    JSON.stringify({
      type: 'INSERT',
      timestamp: new Date().toISOString(),
      data: {
        schema: 'public',
        table: 'bench_events',
        record: { id: i, body: `row ${i}`, at: new Date().toISOString() },
        old_record: null,
      },
    }),
  )
  const loop: number[] = []
  const ours: number[] = []
  const oursDelivering: number[] = []
  let offset = 0
  for (let round = 0; round < ROUNDS; round++) {
    const loopDone = receiver.expect(MESSAGES)
    await handLoop(receiver.url, bodies, endpoint.secret.secret)
    const l = await loopDone
    loop.push(l.lastAt - l.firstAt)

    const done = receiver.expect(MESSAGES)
    const started = performance.timeOrigin + performance.now()
    await db.query(
      `insert into public.bench_events (id, body) select g, 'row ' || g from generate_series($1::int, $2::int) g`,
      [offset, offset + MESSAGES - 1],
    )
    offset += MESSAGES
    const inserted = performance.timeOrigin + performance.now()
    const w = await done
    ours.push(w.lastAt - started)
    oursDelivering.push(w.lastAt - w.firstAt)
    console.log(
      `  round ${round + 1}: insert+capture ${(inserted - started).toFixed(0)} ms, first delivery after ${(w.firstAt - started).toFixed(0)} ms, last ${(w.lastAt - started).toFixed(0)} ms; loop ${(l.lastAt - l.firstAt) | 0} ms`,
    )
  }
  await jobs.close()
  await webhooks.close()
  const loopRate = MESSAGES / (median(loop) / 1000)
  const ourRate = MESSAGES / (median(ours) / 1000)
  const deliveringRate = MESSAGES / (median(oursDelivering) / 1000)
  console.log(
    `webhooks: ${MESSAGES} deliveries, ${CONCURRENCY} in flight, median of ${ROUNDS} rounds\n` +
      `  hand loop (limit), first to last arrival: ${loopRate.toFixed(0)} deliveries/s\n` +
      `  @groundwork/webhooks, first to last arrival (the loop's measure): ${deliveringRate.toFixed(0)} deliveries/s\n` +
      `  @groundwork/webhooks, from the INSERT (capture included) to the last arrival: ${ourRate.toFixed(0)} deliveries/s\n` +
      `  ratio webhooks ÷ loop: ${(deliveringRate / loopRate).toFixed(2)}× same measure, ` +
      `${(ourRate / loopRate).toFixed(2)}× with the capture counted (target ≥ 0.8×)`,
  )
}

async function benchMetrics(db: Database) {
  await db.query('create table public.bench_items (id int primary key, name text not null)')
  await db.query(`insert into public.bench_items select g, 'item ' || g from generate_series(1, 1000) g`)
  await db.query('grant select on public.bench_items to anon')
  const secret = randomBytes(32).toString('base64url')
  const rest = createRest({ db, authenticate: createJwtAuthenticator({ secret }), schemas: ['public'] })
  await rest.start()
  const metrics = createMetrics({ client: promClient, defaultMetrics: false })
  const observed = observe(rest.handler, { service: 'rest', metrics })
  const cpuPerRequest: number[] = []
  const run = async (handler: (request: Request) => Promise<Response>) => {
    let next = 0
    const cpu = process.cpuUsage()
    const started = performance.now()
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < REQUESTS) {
          const id = (next++ % 1000) + 1
          const response = await handler(new Request(`http://localhost/bench_items?id=eq.${id}`))
          await response.arrayBuffer()
        }
      }),
    )
    const elapsed = performance.now() - started
    const used = process.cpuUsage(cpu)
    if (handler === rest.handler) cpuPerRequest.push((used.user + used.system) / REQUESTS)
    return elapsed
  }
  await run(rest.handler) // warm-up
  const plain: number[] = []
  const withMetrics: number[] = []
  // ABBA order, so a slow phase of the (shared) machine falls on both sides alike.
  for (let round = 0; round < ROUNDS * 2; round++) {
    if (round % 2 === 0) {
      plain.push(await run(rest.handler))
      withMetrics.push(await run(observed))
    } else {
      withMetrics.push(await run(observed))
      plain.push(await run(rest.handler))
    }
  }
  await rest.close()
  const base = REQUESTS / (median(plain) / 1000)
  const instrumented = REQUESTS / (median(withMetrics) / 1000)
  // The end-to-end difference above swings by up to ±10% between identical runs here (Postgres
  // shares the two cores). So the target is judged on cost: the CPU observe adds per
  // request — measured around a handler that answers at once, 50,000 calls a round, interleaved —
  // over the Node CPU a REST GET by primary key costs (Postgres's own CPU not counted, so this
  // overstates the throughput lost).
  const instant = async () => new Response('{"id":1}', { headers: { 'content-type': 'application/json' } })
  const observedInstant = observe(instant, { service: 'rest', metrics })
  const perCall = async (handler: (request: Request) => Promise<Response>) => {
    const calls = 50_000
    const cpu = process.cpuUsage()
    for (let i = 0; i < calls; i++) {
      const response = await handler(new Request(`http://localhost/bench_items?id=eq.${(i % 1000) + 1}`))
      await response.arrayBuffer()
    }
    const used = process.cpuUsage(cpu)
    return (used.user + used.system) / calls
  }
  const bare: number[] = []
  const wrapped: number[] = []
  for (let round = 0; round < ROUNDS * 2; round++) {
    bare.push(await perCall(instant))
    wrapped.push(await perCall(observedInstant))
  }
  const added = Math.max(0, median(wrapped) - median(bare))
  const restCpu = median(cpuPerRequest)
  console.log(
    `metrics overhead on REST GET by primary key (${REQUESTS} requests × ${ROUNDS * 2} rounds each, ABBA, 8 concurrent, no server):\n` +
      `  rest.handler: ${base.toFixed(0)} req/s, ${restCpu.toFixed(1)} µs of Node CPU per request\n` +
      `  observe(rest.handler, { metrics }): ${instrumented.toFixed(0)} req/s ` +
      `(end to end ${((1 - instrumented / base) * 100).toFixed(1)} %; identical runs differ by up to ±10 % here)\n` +
      `  observe's own cost: ${added.toFixed(1)} µs per request (${median(bare).toFixed(1)} → ${median(wrapped).toFixed(1)} µs around an instant handler)\n` +
      `  overhead: ${((added / restCpu) * 100).toFixed(1)} % of a GET by primary key's CPU (target ≤ 5 %)`,
  )
}

async function main() {
  let embedded: { url: string; stop(): Promise<void> } | undefined
  let baseUrl = process.env.DATABASE_URL
  if (!baseUrl) {
    const { startEmbeddedPostgres } = await import('@groundwork/core/embedded')
    embedded = await startEmbeddedPostgres()
    baseUrl = embedded.url
  }
  const name = `gw_webhooks_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: baseUrl })
  await admin.connect()
  await admin.query(`create database ${quoteIdent(name)}`)
  const url = new URL(baseUrl)
  url.pathname = `/${name}`
  const db = createDatabase({ connectionString: url.toString(), max: 12 })
  const receiver = await startReceiver()
  try {
    await migrate(db, [
      coreMigrations,
      jobsMigrations,
      restMigrations,
      realtimeMigrations,
      webhooksMigrations,
    ])
    await benchWebhooks(db, receiver)
    await benchMetrics(db)
  } finally {
    receiver.stop()
    await db.close()
    await admin.query(`drop database if exists ${quoteIdent(name)} with (force)`)
    await admin.end()
    await embedded?.stop()
  }
}

await main()
