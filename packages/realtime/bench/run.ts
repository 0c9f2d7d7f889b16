/**
 * `pnpm bench` for @groundwork/realtime: RLS-checked deliveries/s and commit→client latency with
 * N subscribers over real HTTP, a membership (join) RLS policy, and M changes/s written by a
 * separate load process.
 *
 * Compares @groundwork/realtime (one visibility round trip per batch for all distinct identities)
 * with a hand-written node:http + pg baseline that does what Supabase Realtime's postgres_changes
 * does with RLS: one claims-scoped query per subscriber per change. Both read the same change log,
 * written by the same triggers, on the same database, in the same run.
 *
 * Uses the built package (`@groundwork/realtime` → dist). DATABASE_URL names the server (a scratch
 * database is created and dropped there). Environment: BENCH_SUBSCRIBERS (e.g. "100,1000,5000"),
 * BENCH_RATE (changes/s), BENCH_DURATION_MS, BENCH_LISTS (lists; each change is visible to the
 * members of one list = subscribers / lists), BENCH_BASELINE=0 to skip the baseline.
 */
import { fork } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os, { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  migrations as coreMigrations,
  createDatabase,
  migrate,
  type Principal,
  quoteIdent,
} from '@groundwork/core'
import { createRealtime, migrations as realtimeMigrations } from '@groundwork/realtime'
import pg from 'pg'

const SUBSCRIBERS = (process.env.BENCH_SUBSCRIBERS ?? '100,1000,5000').split(',').map(Number)
const RATE = Number(process.env.BENCH_RATE ?? 200)
const DURATION = Number(process.env.BENCH_DURATION_MS ?? 10_000)
const LISTS = Number(process.env.BENCH_LISTS ?? 10)
const BASELINE = process.env.BENCH_BASELINE !== '0'
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'table,filtered').split(',')
const VIS_CONCURRENCY = Number(process.env.BENCH_VISIBILITY_CONCURRENCY ?? 2)
const BASELINE_MAX_SUBSCRIBERS = Number(process.env.BENCH_BASELINE_MAX ?? 1000)

interface Result {
  subscribers: number
  ended: number
  connectMs: number
  changes: number
  expected: number
  delivered: number
  deliveriesPerSecond: number
  p50: number
  p95: number
  p99: number
  max: number
}

/** node:http in front of a Web handler, streaming with backpressure. */
function serveWeb(handler: (request: Request) => Promise<Response>) {
  return http.createServer(async (req, res) => {
    const controller = new AbortController()
    res.on('close', () => controller.abort())
    const headers = new Headers()
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value)
    }
    const response = await handler(
      new Request(`http://localhost${req.url}`, {
        method: req.method ?? 'GET',
        headers,
        signal: controller.signal,
      }),
    )
    res.writeHead(response.status, Object.fromEntries(response.headers))
    res.flushHeaders()
    if (!response.body) return void res.end()
    const reader = response.body.getReader()
    res.on('close', () => void reader.cancel().catch(() => {}))
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        if (!res.write(value))
          await new Promise((resolve) => res.once('drain', resolve).once('close', resolve))
      }
    } catch {}
    res.end()
  })
}

const authenticate = async (request: Request): Promise<Principal> => {
  const sub = /^Bearer user:(.+)$/.exec(request.headers.get('authorization') ?? '')?.[1]
  if (!sub) return { kind: 'anonymous', role: 'anon', claims: { role: 'anon' } }
  return { kind: 'jwt', role: 'authenticated', claims: { role: 'authenticated', sub } }
}

/**
 * The baseline: LISTEN, read new log rows, and for every change and every subscriber of its table
 * run one claims-scoped visibility query (Supabase-style), then write the SSE message.
 */
function baselineServer(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 8 })
  const listener = new pg.Client({ connectionString: url })
  pool.on('error', () => {})
  listener.on('error', () => {})
  let closed = false
  const subscribers = new Set<{ sub: string; res: http.ServerResponse }>()
  let cursor = 0
  let running = false
  let dirty = false
  async function pump() {
    if (running) {
      dirty = true
      return
    }
    running = true
    try {
      do {
        dirty = false
        const { rows } = await pool.query(
          'select id, schema_name, table_name, op, pk, record, old_record, commit_timestamp from realtime.changes where id > $1 order by id limit 500',
          [cursor],
        )
        for (const row of rows) {
          if (closed) break
          cursor = Number(row.id)
          const frame = `id: ${row.id}\nevent: ${row.op}\ndata: ${JSON.stringify({
            schema: row.schema_name,
            table: row.table_name,
            type: row.op,
            record: row.record,
            old_record: null,
            commit_timestamp: row.commit_timestamp,
          })}\n\n`
          await Promise.all(
            [...subscribers].map(async (s) => {
              const claims = JSON.stringify({ role: 'authenticated', sub: s.sub }).replaceAll("'", "''")
              // One round trip (simple protocol, several statements), as PostgREST-style claims need
              // the role set in an earlier statement than the one RLS applies to.
              const results = (await pool.query(
                `begin; select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '${claims}', true);
               select exists (select 1 from public.todos where id = ${Number(row.pk.id)}) as visible; commit`,
              )) as unknown as pg.QueryResult[]
              const result = results[2] as pg.QueryResult
              if (result.rows[0]?.visible) s.res.write(frame)
            }),
          )
        }
        if (rows.length === 500) dirty = true
      } while (dirty && !closed)
    } catch (error) {
      if (!closed) throw error
    }
    running = false
  }
  const server = http.createServer((req, res) => {
    const sub = /^Bearer user:(.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? ''
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.write('event: ready\ndata: {}\n\n')
    const entry = { sub, res }
    subscribers.add(entry)
    res.on('close', () => subscribers.delete(entry))
  })
  return {
    server,
    async start() {
      const { rows } = await pool.query('select coalesce(max(id), 0) as id from realtime.changes')
      cursor = Number(rows[0]?.id)
      await listener.connect()
      listener.on('notification', () => void pump())
      await listener.query('listen realtime_changes')
    },
    async close() {
      closed = true
      while (running) await new Promise((resolve) => setTimeout(resolve, 20))
      await listener.end()
      await pool.end()
    },
  }
}

async function runLoad(url: string, databaseUrl: string, users: string[], lists: number[], path: string) {
  return new Promise<Result>((resolve, reject) => {
    const argsFile = join(tmpdir(), `gw-rt-bench-${randomBytes(4).toString('hex')}.json`)
    writeFileSync(
      argsFile,
      JSON.stringify({
        url,
        databaseUrl,
        users,
        lists,
        listCount: LISTS,
        rate: RATE,
        durationMs: DURATION,
        path,
      }),
    )
    const child = fork(new URL('./load.ts', import.meta.url), [argsFile], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    })
    let out = ''
    child.stdout?.on('data', (chunk) => {
      out += chunk
    })
    child.on('exit', (code) => {
      rmSync(argsFile, { force: true })
      const line = out.trim().split('\n').at(-1)
      if (code !== 0 || !line) reject(new Error(`load process exited with ${code}`))
      else resolve(JSON.parse(line) as Result)
    })
  })
}

function listen(server: http.Server) {
  return new Promise<string>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))
  })
}

function row(name: string, r: Result) {
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-')
  return `${name.padEnd(12)} ${String(r.subscribers).padStart(6)} ${String(r.changes).padStart(7)} ${String(r.delivered).padStart(9)}/${String(r.expected).padEnd(9)} ${r.deliveriesPerSecond.toFixed(0).padStart(8)}/s  p50 ${f(r.p50).padStart(7)} ms  p95 ${f(r.p95).padStart(7)} ms  p99 ${f(r.p99).padStart(7)} ms`
}

async function main() {
  const adminUrl = process.env.DATABASE_URL
  if (!adminUrl) throw new Error('Set DATABASE_URL (a scratch database is created and dropped there)')
  const name = `gw_rt_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`create database ${quoteIdent(name)}`)
  const dbUrl = new URL(adminUrl)
  dbUrl.pathname = `/${name}`
  const databaseUrl = dbUrl.toString()
  const db = createDatabase({ connectionString: databaseUrl, max: 10 })
  console.log(
    `@groundwork/realtime bench — ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), load avg ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (other engineers share this machine)`,
  )
  console.log(
    `membership RLS policy (EXISTS on members), ${LISTS} lists, ${RATE} changes/s for ${DURATION} ms; each change is visible to the members of one list\n`,
  )
  try {
    await migrate(db, [coreMigrations, realtimeMigrations])
    await db.query(`
      create table public.lists (id int primary key);
      create table public.members (list_id int references public.lists, user_id uuid, primary key (list_id, user_id));
      create table public.todos (id bigserial primary key, list_id int not null references public.lists, title text not null, done boolean not null default false);
      alter table public.todos enable row level security;
      grant select, insert on public.todos to authenticated;
      grant select on public.members to authenticated;
      create policy todos_members on public.todos for select to authenticated using (
        exists (select 1 from public.members m where m.list_id = todos.list_id and m.user_id = auth.uid())
      );
      select realtime.enable('public.todos');
    `)
    await db.query('insert into public.lists select generate_series(1, $1::int)', [LISTS])
    const results: [string, Result][] = []
    for (const n of SUBSCRIBERS) {
      const users = Array.from({ length: n }, () => randomUUID())
      const lists = users.map((_, i) => 1 + (i % LISTS))
      await db.query('truncate public.members')
      await db.query('insert into public.members select * from unnest($1::int[], $2::uuid[])', [lists, users])
      await db.query('analyze public.members')

      let r: Result | undefined
      for (const scenario of SCENARIOS) {
        const realtime = createRealtime({ db, authenticate, visibilityConcurrency: VIS_CONCURRENCY })
        await realtime.start()
        const server = serveWeb(realtime.handler)
        const url = await listen(server)
        // table: every subscriber gets the whole table (RLS decides each change for all N);
        // filtered: each subscriber watches its list (filter=list_id=eq.N), RLS still decides.
        const path =
          scenario === 'filtered' ? '/stream?table=todos&filter=list_id=eq.{list}' : '/stream?table=todos'
        const result = await runLoad(url, databaseUrl, users, lists, path)
        if (scenario === 'table') r = result
        console.log(row(scenario === 'filtered' ? 'gw filtered' : 'groundwork', result))
        const stats = realtime.api.stats()
        console.log(
          `  ${stats.batches} batches, ${(stats.checks / Math.max(1, stats.batches)).toFixed(0)} RLS decisions/batch, visibility ${(stats.visibilityMs / Math.max(1, stats.batches)).toFixed(1)} ms/batch (${((stats.visibilityMs * 1000) / Math.max(1, stats.checks)).toFixed(1)} µs/decision), load avg ${os.loadavg()[0]?.toFixed(1)}`,
        )
        results.push([scenario, result])
        server.closeAllConnections()
        server.close()
        await realtime.close()
      }

      if (r && BASELINE && n <= BASELINE_MAX_SUBSCRIBERS) {
        const baseline = baselineServer(databaseUrl)
        await baseline.start()
        const baseUrl = await listen(baseline.server)
        const b = await runLoad(baseUrl, databaseUrl, users, lists, '/stream')
        console.log(row('baseline', b))
        results.push(['baseline', b])
        baseline.server.closeAllConnections()
        baseline.server.close()
        await baseline.close()
        console.log(
          `  ratio groundwork/baseline at ${n}: deliveries/s ×${(r.deliveriesPerSecond / b.deliveriesPerSecond).toFixed(1)}, p95 ${(b.p95 / r.p95).toFixed(1)}× lower`,
        )
      }
    }
  } finally {
    await db.close()
    await admin.query(`drop database if exists ${quoteIdent(name)} with (force)`)
    await admin.end()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
