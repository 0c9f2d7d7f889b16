/**
 * `pnpm bench` for @groundwork/storage: upload and download throughput (MB/s) of 100 MB objects,
 * and ops/s of 4 KB objects (upload, download), through the storage handler (RLS-checked, service
 * role token, core's Node adapter) against two baselines in the same run:
 *
 * - local: a hand-written node:http + fs streaming server (PUT pipes the request to a file, GET
 *   pipes the file to the response) — the limit of the local backend;
 * - S3: direct SigV4-signed PUT / GET to the S3 test server (`@20minutes/s3rver`, in its own
 *   process) — the limit of the S3 backend against that server.
 *
 * Rounds are interleaved (baseline, storage, baseline, storage, …) so the shared machine's drift
 * hits both alike; the median round is reported. Uses the built package (self-reference → dist).
 * DATABASE_URL names the Postgres server (a scratch database is created and dropped); without it an
 * embedded PostgreSQL is started. BENCH_ROUNDS (3), BENCH_LARGE_MB (100), BENCH_SMALL_OPS (1500),
 * BENCH_CONCURRENCY (8) tune it.
 */
import { fork } from 'node:child_process'
import { createHash, createHmac, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import {
  migrations as coreMigrations,
  createDatabase,
  createJwtAuthenticator,
  migrate,
  quoteIdent,
} from '@groundwork/core'
import { toNodeHandler } from '@groundwork/core/node'
import { migrations as jobsMigrations } from '@groundwork/jobs'
import { createStorage, localBackend, s3Backend, migrations as storageMigrations } from '@groundwork/storage'
import { SignatureV4 } from '@smithy/signature-v4'
import pg from 'pg'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const LARGE = Number(process.env.BENCH_LARGE_MB ?? 100) * 1024 * 1024
const SMALL = 4 * 1024
const SMALL_OPS = Number(process.env.BENCH_SMALL_OPS ?? 1500)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8)
const SECRET = 'groundwork-bench-secret-with-at-least-32-characters'
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })

/** How a client reaches a server: the URL of object `name`, and the headers of a request. */
interface Target {
  name: string
  url(name: string): string
  headers(method: 'PUT' | 'GET', url: string, size: number): Promise<Record<string, string>>
  /** storage-js uploads with POST; the baselines take PUT. */
  uploadMethod: 'PUT' | 'POST'
}

const CHUNK = Buffer.alloc(1024 * 1024, 0x62)

function send(target: Target, method: 'PUT' | 'GET', name: string, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(target.url(name))
    target
      .headers(method, url.toString(), size)
      .then((headers) => {
        const req = http.request(
          {
            agent,
            host: url.hostname,
            port: url.port,
            path: url.pathname + url.search,
            method: method === 'PUT' ? target.uploadMethod : 'GET',
            headers,
          },
          (res) => {
            let bytes = 0
            res.on('data', (c: Buffer) => {
              bytes += c.length
            })
            res.on('end', () =>
              res.statusCode && res.statusCode < 300
                ? resolve(bytes)
                : reject(new Error(`${target.name} ${method} ${name}: ${res.statusCode}`)),
            )
          },
        )
        req.on('error', reject)
        if (method === 'GET') return void req.end()
        let sent = 0
        const pump = () => {
          while (sent < size) {
            const piece = size - sent >= CHUNK.length ? CHUNK : CHUNK.subarray(0, size - sent)
            sent += piece.length
            if (!req.write(piece)) return void req.once('drain', pump)
          }
          req.end()
        }
        pump()
      })
      .catch(reject)
  })
}

async function large(target: Target, round: number) {
  const name = `large-${round}.bin`
  let started = performance.now()
  await send(target, 'PUT', name, LARGE)
  const up = LARGE / 1e6 / ((performance.now() - started) / 1000)
  started = performance.now()
  const got = await send(target, 'GET', name, 0)
  if (got !== LARGE) throw new Error(`${target.name}: downloaded ${got} bytes`)
  const down = LARGE / 1e6 / ((performance.now() - started) / 1000)
  return { up, down }
}

async function small(target: Target, round: number) {
  const names = Array.from({ length: SMALL_OPS }, (_, i) => `small/${round}/${i}.bin`)
  const run = async (method: 'PUT' | 'GET') => {
    let next = 0
    const started = performance.now()
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < names.length)
          await send(target, method, names[next++] as string, method === 'PUT' ? SMALL : 0)
      }),
    )
    return names.length / ((performance.now() - started) / 1000)
  }
  const up = await run('PUT')
  const down = await run('GET')
  return { up, down }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  )
}

/** The hand-written local limit: node:http + fs, streaming both ways. */
function rawFsServer(root: string): http.Server {
  return http.createServer(async (req, res) => {
    const file = join(
      root,
      createHash('sha1')
        .update(req.url ?? '')
        .digest('hex'),
    )
    try {
      if (req.method === 'PUT') {
        await pipeline(req, createWriteStream(file))
        res.writeHead(200).end('{}')
      } else {
        res.writeHead(200, { 'content-type': 'application/octet-stream' })
        await pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), res)
      }
    } catch {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    }
  })
}

function hmacJwt(claims: object): string {
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url')
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ ...claims, exp: Math.floor(Date.now() / 1000) + 3600 })}`
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`
}

async function startS3(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const directory = mkdtempSync(join(tmpdir(), 'gw-bench-s3-'))
  const child = fork(fileURLToPath(new URL('../test/fixtures/s3-server.ts', import.meta.url)), {
    env: { ...process.env, S3_DIRECTORY: directory },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.on(
      'message',
      (m: { type?: string; port?: number }) => m.type === 'ready' && resolve(m.port as number),
    )
    child.once('exit', (code) => reject(new Error(`s3 server exited (${code})`)))
  })
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      child.kill()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}

async function main() {
  let serverUrl = process.env.DATABASE_URL
  let embedded: { url: string; stop(): Promise<void> } | undefined
  if (!serverUrl) {
    const { startEmbeddedPostgres } = await import('@groundwork/core/embedded')
    embedded = await startEmbeddedPostgres()
    serverUrl = embedded.url
  }
  const name = `gw_storage_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`create database ${quoteIdent(name)}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const db = createDatabase({ connectionString: url.toString(), max: 10 })
  const root = mkdtempSync(join(tmpdir(), 'gw-bench-'))
  const s3 = await startS3()
  const servers: http.Server[] = []
  try {
    await migrate(db, [coreMigrations, jobsMigrations, storageMigrations])
    await db.query(`insert into storage.buckets (id, name) values ('bench', 'bench')`)
    const token = hmacJwt({ role: 'service_role' })
    const authenticate = createJwtAuthenticator({ secret: SECRET })
    const s3Options = {
      endpoint: s3.endpoint,
      bucket: 'groundwork',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    }

    const storageTarget = async (
      label: string,
      backend: ReturnType<typeof localBackend>,
    ): Promise<Target> => {
      const storage = createStorage({
        db,
        authenticate,
        signingSecret: SECRET,
        backend,
        fileSizeLimit: 2 * LARGE,
      })
      const server = http.createServer(toNodeHandler(storage.handler))
      servers.push(server)
      const port = await listen(server)
      return {
        name: label,
        uploadMethod: 'POST',
        url: (object) => `http://127.0.0.1:${port}/object/bench/${label}/${object}`,
        headers: async (method, _url, size): Promise<Record<string, string>> =>
          method === 'PUT'
            ? {
                authorization: `Bearer ${token}`,
                'content-type': 'application/octet-stream',
                'content-length': String(size),
                'x-upsert': 'true',
              }
            : { authorization: `Bearer ${token}` },
      }
    }

    mkdirSync(join(root, 'raw'))
    const raw = rawFsServer(join(root, 'raw'))
    servers.push(raw)
    const rawPort = await listen(raw)
    const rawTarget: Target = {
      name: 'node:http + fs',
      uploadMethod: 'PUT',
      url: (object) => `http://127.0.0.1:${rawPort}/${object}`,
      headers: async (method, _url, size): Promise<Record<string, string>> =>
        method === 'PUT' ? { 'content-length': String(size) } : {},
    }

    const signer = new SignatureV4({
      service: 's3',
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      sha256: class {
        private h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>
        constructor(secret?: Uint8Array | string) {
          this.h = secret ? createHmac('sha256', secret) : createHash('sha256')
        }
        update(d: Uint8Array | string) {
          this.h.update(d)
        }
        async digest() {
          return this.h.digest()
        }
        reset() {}
      } as never,
      uriEscapePath: false,
    })
    const s3Url = new URL(s3.endpoint)
    const directS3: Target = {
      name: 'direct S3 PUT/GET',
      uploadMethod: 'PUT',
      url: (object) => `${s3.endpoint}/groundwork/direct/${object}`,
      async headers(method, target, size) {
        const path = new URL(target).pathname
        const headers: Record<string, string> = {
          host: s3Url.host,
          'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
        }
        if (method === 'PUT') headers['content-length'] = String(size)
        const signed = await signer.sign({
          method,
          protocol: 'http:',
          hostname: s3Url.host,
          path,
          query: {},
          headers,
        })
        return signed.headers as Record<string, string>
      },
    }

    const local = await storageTarget('local', localBackend({ root: join(root, 'storage') }))
    const localFast = await storageTarget(
      'local-nofsync',
      localBackend({ root: join(root, 'storage-nofsync'), durable: false }),
    )
    const viaS3 = await storageTarget('s3', s3Backend(s3Options))

    const pairs: [string, Target, Target][] = [
      ['local disk', rawTarget, local],
      ['local disk (durable: false)', rawTarget, localFast],
      ['S3 test server', directS3, viaS3],
    ]
    console.log(
      `@groundwork/storage bench: ${ROUNDS} interleaved rounds, large ${LARGE / 2 ** 20} MiB, small ${SMALL / 1024} KiB × ${SMALL_OPS} at concurrency ${CONCURRENCY}\n`,
    )
    for (const [label, baseline, subject] of pairs) {
      const figures = {
        base: { lu: [] as number[], ld: [] as number[], su: [] as number[], sd: [] as number[] },
        subj: { lu: [] as number[], ld: [] as number[], su: [] as number[], sd: [] as number[] },
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (const [key, target] of [
          ['base', baseline],
          ['subj', subject],
        ] as const) {
          const l = await large(target, round)
          const s = await small(target, round)
          figures[key].lu.push(l.up)
          figures[key].ld.push(l.down)
          figures[key].su.push(s.up)
          figures[key].sd.push(s.down)
        }
      }
      const row = (what: string, unit: string, base: number[], subj: number[], target: number) => {
        const b = median(base)
        const s = median(subj)
        const ratio = s / b
        console.log(
          `  ${what.padEnd(22)} ${baseline.name.padEnd(18)} ${b.toFixed(1).padStart(8)} ${unit}   storage ${s.toFixed(1).padStart(8)} ${unit}   ratio ${ratio.toFixed(2)} (target ≥ ${target}) ${ratio >= target ? 'ok' : 'BELOW'}`,
        )
      }
      console.log(`${label}:`)
      row('100 MB upload', 'MB/s', figures.base.lu, figures.subj.lu, 0.8)
      row('100 MB download', 'MB/s', figures.base.ld, figures.subj.ld, 0.8)
      row('4 KB upload', 'ops/s', figures.base.su, figures.subj.su, 0.6)
      row('4 KB download', 'ops/s', figures.base.sd, figures.subj.sd, 0.6)
    }
  } finally {
    agent.destroy()
    for (const server of servers) server.close()
    await db.close()
    await admin.query(`drop database if exists ${quoteIdent(name)} with (force)`)
    await admin.end()
    await s3.close()
    rmSync(root, { recursive: true, force: true })
    await embedded?.stop()
  }
}

await main()
