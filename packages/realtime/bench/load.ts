/**
 * The load generator (its own process): opens N SSE subscribers over real HTTP, writes M
 * changes/s on its own pg connections, and measures commit→client latency per delivery (commit =
 * when the INSERT's autocommit returned to the writer; client = when the event's bytes were parsed
 * here). Reports JSON to the parent on stdout's last line.
 */
import { readFileSync } from 'node:fs'
import http from 'node:http'
import pg from 'pg'

interface Args {
  url: string
  databaseUrl: string
  users: string[]
  /** list id of each user (index-aligned with users) */
  lists: number[]
  listCount: number
  rate: number
  durationMs: number
  path: string
}

const args = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as Args
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity })
const commitAt = new Map<number, number>()
const latencies: number[] = []
let delivered = 0
let lastDeliveryAt = 0
let openStreams = 0
let ended = 0

function subscribe(user: string, list: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const url = new URL(args.path.replaceAll('{list}', String(list)), args.url)
    const req = http.get(url, { agent, headers: { authorization: `Bearer user:${user}` } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`subscribe: HTTP ${res.statusCode}`))
        return
      }
      res.setEncoding('utf8')
      let buffer = ''
      let ready = false
      res.on('data', (chunk: string) => {
        buffer += chunk
        let end = buffer.indexOf('\n\n')
        while (end >= 0) {
          const message = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          end = buffer.indexOf('\n\n')
          if (!ready && message.includes('event: ready')) {
            ready = true
            openStreams++
            resolve()
            continue
          }
          if (!message.includes('event: INSERT')) continue
          const match = /"title":"k(\d+)"/.exec(message)
          if (!match) continue
          delivered++
          lastDeliveryAt = performance.now()
          const committed = commitAt.get(Number(match[1]))
          const now = performance.now()
          // The event can beat the writer's COMMIT acknowledgement; that counts as ~0 ms.
          latencies.push(committed === undefined ? 0 : Math.max(0, now - committed))
        }
      })
      res.on('end', () => {
        ended++
      })
    })
    req.on('error', reject)
  })
}

async function main() {
  const started = performance.now()
  const batch = 200
  for (let i = 0; i < args.users.length; i += batch) {
    await Promise.all(
      args.users.slice(i, i + batch).map((user, j) => subscribe(user, args.lists[i + j] as number)),
    )
  }
  const connectMs = performance.now() - started

  const pool = new pg.Pool({ connectionString: args.databaseUrl, max: 4 })
  let seq = 0
  let expected = 0
  const members = new Map<number, number>()
  for (const list of args.lists) members.set(list, (members.get(list) ?? 0) + 1)
  const inflight = new Set<Promise<unknown>>()
  const tickMs = 10
  const perTick = args.rate / (1000 / tickMs)
  let carry = 0
  const writeStart = performance.now()
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (performance.now() - writeStart >= args.durationMs) {
        clearInterval(timer)
        resolve()
        return
      }
      carry += perTick
      while (carry >= 1) {
        carry--
        const key = seq++
        const list = 1 + (key % args.listCount)
        expected += members.get(list) ?? 0
        const p = pool
          .query('insert into public.todos (list_id, title) values ($1, $2)', [list, `k${key}`])
          .then(() => {
            commitAt.set(key, performance.now())
          })
        inflight.add(p)
        p.finally(() => inflight.delete(p))
      }
    }, tickMs)
  })
  await Promise.all(inflight)
  const writeMs = performance.now() - writeStart
  // Let the tail arrive.
  const deadline = performance.now() + 15_000
  while (delivered < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  const totalMs = performance.now() - writeStart
  await pool.end()
  latencies.sort((a, b) => a - b)
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN
  process.stdout.write(
    `${JSON.stringify({
      subscribers: openStreams,
      ended,
      connectMs,
      changes: seq,
      writeMs,
      totalMs,
      expected,
      delivered,
      deliveriesPerSecond: delivered / ((Math.max(lastDeliveryAt, writeStart + writeMs) - writeStart) / 1000),
      p50: pct(50),
      p95: pct(95),
      p99: pct(99),
      max: latencies.at(-1) ?? NaN,
    })}\n`,
  )
  agent.destroy()
  process.exit(0)
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`)
  process.exit(1)
})
