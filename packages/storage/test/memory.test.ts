/**
 * Never a whole file in memory: a 1 GiB upload and a 1 GiB download through the HTTP handler
 * (core's Node adapter, a real socket) each grow the server's peak RSS by less than 64 MB. The
 * server runs in a process of its own, as in production (fixtures/memory-server.ts reads its own
 * VmHWM); so do the client, which generates the body as it sends it, and the S3 test server (in
 * production another machine): what is measured is Groundwork's server alone.
 *
 * The peak (VmHWM) never goes down, so each transfer is charged what it adds to the highest RSS
 * the server ever had. First a 256 MiB warm-up each way, which must stay under 160 MB: any Node
 * process streaming bytes lets ArrayBuffer garbage (one socket buffer per read) pile up between V8
 * collections, and a fresh process' first streams grow its RSS by 60–100 MB that way whatever
 * streams them — a bare node:http proxy does too. Then the 1 GiB transfers, each of which must add
 * less than 64 MB on top: what grows with the file's size. A server that held the file would add
 * ~768 MB over the warm-up; a streaming one adds about nothing.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { sourceForkArgv, TEST_JWT_SECRET } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BackendKind, createStack, S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY, type Stack } from './helpers'

const SIZE = Number(process.env.STORAGE_MEMORY_TEST_BYTES ?? 1024 * 1024 * 1024)
const WARM_UP = Math.min(SIZE, 256 * 1024 * 1024)
const LIMIT = 64 * 1024 * 1024
/** The warm-up's own bound: a fresh process's first streams (measured 58–97 MB), never a file's size. */
const WARM_LIMIT = 160 * 1024 * 1024

function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
}

/** Asks the server process `type` and waits for its answer `reply`. */
async function ask<T>(server: ChildProcess, type: string, reply: string): Promise<T> {
  const answer = new Promise<T>((resolve) => {
    const listen = (message: { type: string } & T) => {
      if (message.type !== reply) return
      server.off('message', listen)
      resolve(message)
    }
    server.on('message', listen)
  })
  server.send({ type })
  return answer
}

/** Runs the client in its own process; answers the server's peak RSS growth meanwhile. */
async function measured(
  server: ChildProcess,
  mode: 'upload' | 'download',
  url: string,
  token: string,
  size = SIZE,
) {
  await ask(server, 'mark', 'marked')
  const started = performance.now()
  const child = fork(fixture('memory-client.ts'), [mode, url, token, String(size)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const result = await new Promise<{ status: number; bytes: number }>((resolve, reject) => {
    child.once('message', (message) => resolve(message as { status: number; bytes: number }))
    child.once('exit', (code) => reject(new Error(`client exited (${code})`)))
  })
  const { growth } = await ask<{ growth: number }>(server, 'peak', 'peak')
  return { ...result, growth, seconds: (performance.now() - started) / 1000 }
}

describe.each<BackendKind>(['local', 's3'])('memory on the %s backend', (kind) => {
  let stack: Stack
  let server: ChildProcess
  let base: string
  beforeAll(async () => {
    stack = await createStack(kind, { fileSizeLimit: 2 * SIZE, s3OwnProcess: true })
    server = fork(fixture('memory-server.ts'), {
      execArgv: sourceForkArgv(),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        MEMORY_DATABASE_URL: stack.test.url,
        MEMORY_JWT_SECRET: TEST_JWT_SECRET,
        MEMORY_BACKEND: kind,
        MEMORY_ROOT: stack.root,
        MEMORY_S3_ENDPOINT: stack.endpoint ?? '',
        MEMORY_S3_BUCKET: S3_BUCKET,
        MEMORY_S3_ACCESS_KEY: S3_ACCESS_KEY,
        MEMORY_S3_SECRET_KEY: S3_SECRET_KEY,
        MEMORY_FILE_SIZE_LIMIT: String(2 * SIZE),
      },
    })
    const [ready] = (await once(server, 'message')) as [{ port: number }]
    base = `http://127.0.0.1:${ready.port}/storage/v1`
  }, 60_000)
  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill()
      await once(server, 'exit')
    }
    await stack?.close()
  })

  it(`uploads and downloads ${SIZE / 2 ** 20} MiB, growing the server's peak RSS by less than 64 MB each`, async () => {
    const token = stack.tokens.service
    const warm = `${base}/object/avatars/big/warm.bin`
    const warmUp = await measured(server, 'upload', warm, token, WARM_UP)
    const warmDown = await measured(server, 'download', warm, token, WARM_UP)
    expect(warmUp.status).toBe(200)
    expect(warmDown).toMatchObject({ status: 200, bytes: WARM_UP })
    expect(warmUp.growth + warmDown.growth).toBeLessThan(WARM_LIMIT)
    const url = `${base}/object/avatars/big/one.bin`
    const up = await measured(server, 'upload', url, token)
    const down = await measured(server, 'download', url, token)
    console.log(
      `${kind}: warm-up (${WARM_UP / 2 ** 20} MiB each way) peak RSS +${((warmUp.growth + warmDown.growth) / 2 ** 20).toFixed(1)} MiB; ` +
        `upload ${SIZE / 2 ** 20} MiB in ${up.seconds.toFixed(1)} s, peak RSS +${(up.growth / 2 ** 20).toFixed(1)} MiB; ` +
        `download in ${down.seconds.toFixed(1)} s, peak RSS +${(down.growth / 2 ** 20).toFixed(1)} MiB`,
    )
    expect(up.status).toBe(200)
    expect(down).toMatchObject({ status: 200, bytes: SIZE })
    expect(up.growth).toBeLessThan(LIMIT)
    expect(down.growth).toBeLessThan(LIMIT)
  }, 300_000)
})
