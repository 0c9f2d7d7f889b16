/**
 * `pnpm bench` for @groundwork/jobs: throughput (jobs/s) and add→start latency through
 * @groundwork/jobs versus raw graphile-worker, same settings, same database, same run,
 * interleaved rounds (raw, groundwork, raw, groundwork, …) so drift hits both alike.
 *
 * Uses the built package (self-reference `@groundwork/jobs` → dist), i.e. what users install.
 * DATABASE_URL names the server (a scratch database is created and dropped there); without it an
 * embedded PostgreSQL is started for the run.
 */
import { randomBytes } from 'node:crypto'
import {
  migrations as coreMigrations,
  createDatabase,
  type Database,
  migrate,
  quoteIdent,
} from '@groundwork/core'
import { createJobs, defineTask, migrations as jobsMigrations } from '@groundwork/jobs'
import { Logger, run } from 'graphile-worker'
import pg from 'pg'
import { z } from 'zod'

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 5)
const POLL_INTERVAL = 1000
const THROUGHPUT_JOBS = Number(process.env.BENCH_JOBS ?? 3000)
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 100)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9)
const TASK = 'bench:noop'

interface Harness {
  name: string
  start(onRun: () => void): Promise<void>
  stop(): Promise<void>
}

function rawHarness(db: Database): Harness {
  let runner: Awaited<ReturnType<typeof run>> | null = null
  return {
    name: 'graphile-worker',
    async start(onRun) {
      runner = await run({
        pgPool: db.pool,
        taskList: {
          [TASK]: async () => {
            onRun()
          },
        },
        parsedCronItems: [],
        concurrency: CONCURRENCY,
        pollInterval: POLL_INTERVAL,
        noHandleSignals: true,
        logger: new Logger(() => () => {}),
      })
    },
    async stop() {
      await runner?.stop()
      runner = null
    },
  }
}

function groundworkHarness(db: Database): Harness {
  let jobs: ReturnType<typeof createJobs> | null = null
  return {
    name: '@groundwork/jobs',
    async start(onRun) {
      const noop = defineTask({
        name: TASK,
        schema: z.object({ i: z.number() }),
        async run() {
          onRun()
        },
      })
      jobs = createJobs({
        db,
        tasks: [noop],
        concurrency: CONCURRENCY,
        pollInterval: POLL_INTERVAL,
        history: process.env.BENCH_HISTORY !== '0',
      })
      await jobs.start()
    },
    async stop() {
      await jobs?.close()
      jobs = null
    },
  }
}

async function throughput(db: Database, harness: Harness): Promise<number> {
  await db.query(
    `select graphile_worker.add_jobs(array(
       select (($1)::text, json_build_object('i', i), null, null, null, null, null, null)::graphile_worker.job_spec
       from generate_series(1, $2) as i))`,
    [TASK, THROUGHPUT_JOBS],
  )
  let done = 0
  let first = 0
  let last = 0
  let finished: () => void = () => {}
  const all = new Promise<void>((resolve) => {
    finished = resolve
  })
  // Timed from the first job's start to the last one's, so runner start-up is not counted.
  await harness.start(() => {
    done++
    if (done === 1) first = performance.now()
    if (done === THROUGHPUT_JOBS) {
      last = performance.now()
      finished()
    }
  })
  await all
  const elapsed = last - first
  await harness.stop()
  await waitEmpty(db)
  return (THROUGHPUT_JOBS - 1) / (elapsed / 1000)
}

async function latency(db: Database, harness: Harness): Promise<{ p50: number; p95: number }> {
  let resolveRun: () => void = () => {}
  await harness.start(() => resolveRun())
  // Let workers settle into waiting on LISTEN.
  await new Promise((resolve) => setTimeout(resolve, 300))
  const samples: number[] = []
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const ran = new Promise<void>((resolve) => {
      resolveRun = resolve
    })
    const before = performance.now()
    await db.query('select graphile_worker.add_job($1, json_build_object($2::text, $3::int))', [TASK, 'i', i])
    await ran
    samples.push(performance.now() - before)
  }
  await harness.stop()
  await waitEmpty(db)
  samples.sort((a, b) => a - b)
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] as number
  return { p50: at(0.5), p95: at(0.95) }
}

async function waitEmpty(db: Database): Promise<void> {
  for (;;) {
    const { rows } = await db.query<{ n: number }>('select count(*)::int as n from graphile_worker.jobs')
    if (rows[0]?.n === 0) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

async function main() {
  let serverUrl = process.env.DATABASE_URL
  let embedded: { url: string; stop(): Promise<void> } | undefined
  if (!serverUrl) {
    const { startEmbeddedPostgres } = await import('@groundwork/core/embedded')
    embedded = await startEmbeddedPostgres()
    serverUrl = embedded.url
  }
  const name = `gw_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`create database ${quoteIdent(name)}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const db = createDatabase({ connectionString: url.toString(), max: CONCURRENCY + 5 })
  // Both runners then see a pool with error handlers (graphile-worker would warn and add its own).
  db.pool.on('connect', (client) => client.on('error', () => {}))
  try {
    await migrate(db, [coreMigrations, jobsMigrations])
    const harnesses = [rawHarness(db), groundworkHarness(db)]
    const results = new Map(
      harnesses.map((h) => [h.name, { rate: [] as number[], p50: [] as number[], p95: [] as number[] }]),
    )
    console.log(
      `bench: ${ROUNDS} rounds, ${THROUGHPUT_JOBS} jobs for throughput, ${LATENCY_SAMPLES} latency samples, concurrency ${CONCURRENCY}, pollInterval ${POLL_INTERVAL} ms`,
    )
    // Warm-up (JIT, prepared statements, connections), not recorded.
    for (const harness of harnesses) await latency(db, harness)
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? harnesses : [...harnesses].reverse()
      for (const harness of order) {
        const result = results.get(harness.name)!
        result.rate.push(await throughput(db, harness))
        const lat = await latency(db, harness)
        result.p50.push(lat.p50)
        result.p95.push(lat.p95)
      }
    }
    const rows = harnesses.map((h) => {
      const r = results.get(h.name)!
      return { name: h.name, rate: median(r.rate), p50: median(r.p50), p95: median(r.p95) }
    })
    const [raw, ours] = rows as [(typeof rows)[0], (typeof rows)[0]]
    console.log('')
    console.log('| runner             | jobs/s (median) | add→start p50 ms | add→start p95 ms |')
    console.log('|--------------------|-----------------|------------------|------------------|')
    for (const row of rows) {
      console.log(
        `| ${row.name.padEnd(18)} | ${row.rate.toFixed(0).padStart(15)} | ${row.p50.toFixed(2).padStart(16)} | ${row.p95.toFixed(2).padStart(16)} |`,
      )
    }
    console.log('')
    // Each round runs both back to back, so a per-round ratio cancels drift of the shared machine;
    // its median is the headline, the ratio of the medians is printed beside it.
    const rawRates = results.get(raw.name)!.rate
    const paired = results.get(ours.name)!.rate.map((rate, i) => rate / (rawRates[i] as number))
    console.log(
      `throughput ratio (groundwork / raw): ${median(paired).toFixed(3)} median of per-round ratios, ${(ours.rate / raw.rate).toFixed(3)} ratio of medians  (target ≥ 0.95)`,
    )
    console.log(`latency ratio p50 (raw / groundwork): ${(raw.p50 / ours.p50).toFixed(3)}  (target ≥ 0.95)`)
    console.log(
      `per-round jobs/s: raw ${results
        .get(raw.name)!
        .rate.map((v) => v.toFixed(0))
        .join(', ')}; groundwork ${results
        .get(ours.name)!
        .rate.map((v) => v.toFixed(0))
        .join(', ')}`,
    )
  } finally {
    await db.close()
    await admin.query(`drop database if exists ${quoteIdent(name)} with (force)`)
    await admin.end()
    await embedded?.stop()
  }
}

await main()
