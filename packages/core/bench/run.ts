/**
 * `pnpm bench` for the adapters: requests/s and p50/p99 latency of the same small JSON handler
 * served three ways, each in its own worker thread:
 *
 * - `baseline`: hand-written node:http (`res.end(JSON.stringify(…))`, body read with `data` events);
 * - `toNodeHandler`: `@groundwork/core/node` (the built package) around a Fetch handler;
 * - `peer`: `@remix-run/node-fetch-server`'s `createRequestListener` around the same Fetch handler.
 *
 * The load generator is a keep-alive HTTP/1.1 client on raw sockets (one request in flight per
 * connection, content-length and chunked responses), in the main thread; rounds are interleaved
 * so drift hits all alike. Besides req/s (which depends on everything else running on the machine)
 * it prints each server thread's CPU time per request (`process.threadCpuUsage`), the steadier
 * measure of what the bridge costs. Prints both ratios.
 *
 * Env: BENCH_CONNECTIONS (32), BENCH_DURATION seconds per run (3), BENCH_ROUNDS (3).
 */
import { connect, type Socket } from 'node:net'
import { Worker } from 'node:worker_threads'

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)
const DURATION = Number(process.env.BENCH_DURATION ?? 3)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

type Kind = 'baseline' | 'groundwork' | 'peer'
const KINDS: Kind[] = ['baseline', 'groundwork', 'peer']
const LABEL: Record<Kind, string> = {
  baseline: 'baseline node:http',
  groundwork: 'toNodeHandler',
  peer: 'node-fetch-server (peer)',
}

const POST_BODY = JSON.stringify(
  Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`field${i}`, 'x'.repeat(40)])),
)
const SCENARIOS = [
  { name: 'GET small JSON', head: 'GET /items?id=42 HTTP/1.1\r\nHost: bench\r\n\r\n' },
  {
    name: 'POST 1 KB JSON',
    head: `POST /items HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(POST_BODY)}\r\n\r\n${POST_BODY}`,
  },
]

interface Result {
  rps: number
  /** Server thread CPU µs per request. */
  cpu: number
  p50: number
  p99: number
  errors: number
}

/** Reads one HTTP/1.1 response off a buffer; returns the bytes it used, or 0 if incomplete. */
function responseLength(buffer: Buffer): number {
  const end = buffer.indexOf('\r\n\r\n')
  if (end === -1) return 0
  const head = buffer.subarray(0, end).toString('latin1').toLowerCase()
  const length = /\r\ncontent-length: *(\d+)/.exec(head)
  if (length) {
    const total = end + 4 + Number(length[1])
    return buffer.length >= total ? total : 0
  }
  if (!head.includes('transfer-encoding: chunked')) return end + 4
  let at = end + 4
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at)
    if (lineEnd === -1) return 0
    const size = Number.parseInt(buffer.subarray(at, lineEnd).toString('latin1'), 16)
    at = lineEnd + 2 + size + 2
    if (at > buffer.length) return 0
    if (size === 0) return at
  }
}

function runConnection(port: number, request: string, until: number, latencies: number[]): Promise<number> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1')
    socket.setNoDelay(true)
    let buffer: Buffer = Buffer.alloc(0)
    let started = 0
    let errors = 0
    const send = () => {
      if (performance.now() >= until) {
        socket.end()
        return
      }
      started = performance.now()
      socket.write(request)
    }
    socket.on('connect', send)
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk])
      const used = responseLength(buffer)
      if (used === 0) return
      if (!buffer.subarray(9, 10).toString().startsWith('2')) errors++
      buffer = buffer.subarray(used)
      latencies.push(performance.now() - started)
      send()
    })
    socket.on('error', () => {
      errors++
    })
    socket.on('close', () => resolve(errors))
  })
}

function stats(worker: Worker): Promise<{ cpuMicros: number; requests: number }> {
  worker.postMessage('stats')
  return new Promise((resolve) => worker.once('message', resolve))
}

async function load({ port, worker }: { port: number; worker: Worker }, request: string): Promise<Result> {
  await stats(worker)
  const latencies: number[] = []
  const until = performance.now() + DURATION * 1000
  const errors = await Promise.all(
    Array.from({ length: CONNECTIONS }, () => runConnection(port, request, until, latencies)),
  )
  const { cpuMicros, requests } = await stats(worker)
  latencies.sort((a, b) => a - b)
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
  return {
    rps: latencies.length / DURATION,
    cpu: cpuMicros / Math.max(1, requests),
    p50: at(0.5),
    p99: at(0.99),
    errors: errors.reduce((a, b) => a + b, 0),
  }
}

async function startServer(kind: Kind): Promise<{ port: number; worker: Worker }> {
  const worker = new Worker(new URL('./adapter-server.ts', import.meta.url), { workerData: { kind } })
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  return { port, worker }
}

const servers = Object.fromEntries(
  await Promise.all(KINDS.map(async (kind) => [kind, await startServer(kind)] as const)),
) as Record<Kind, { port: number; worker: Worker }>

console.log(
  `adapters bench: ${CONNECTIONS} connections, ${DURATION}s × ${ROUNDS} rounds per server and scenario`,
)
for (const scenario of SCENARIOS) {
  const results: Record<Kind, Result[]> = { baseline: [], groundwork: [], peer: [] }
  for (const kind of KINDS) await load(servers[kind], scenario.head) // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of KINDS) results[kind].push(await load(servers[kind], scenario.head))
  }
  console.log(`\n${scenario.name}`)
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0
  const summary = {} as Record<Kind, Result>
  for (const kind of KINDS) {
    const runs = results[kind]
    summary[kind] = {
      rps: median(runs.map((r) => r.rps)),
      cpu: median(runs.map((r) => r.cpu)),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      errors: runs.reduce((sum, r) => sum + r.errors, 0),
    }
    const { rps, cpu, p50, p99, errors } = summary[kind]
    console.log(
      `  ${LABEL[kind].padEnd(26)} ${rps.toFixed(0).padStart(7)} req/s   ${cpu.toFixed(1).padStart(6)} µs CPU/req   p50 ${p50.toFixed(2)} ms   p99 ${p99.toFixed(2)} ms${errors ? `   errors ${errors}` : ''}`,
    )
  }
  const g = summary.groundwork
  const ratio = (other: Result) =>
    `${(g.rps / other.rps).toFixed(2)}× req/s, ${(g.cpu / other.cpu).toFixed(2)}× CPU/req`
  console.log(`  toNodeHandler vs baseline: ${ratio(summary.baseline)}   vs peer: ${ratio(summary.peer)}`)
}

await Promise.all(KINDS.map((kind) => servers[kind].worker.terminate()))
