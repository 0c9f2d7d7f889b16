/**
 * Never a whole file in memory: a 1 GiB upload and a 1 GiB download through the HTTP handler
 * (core's Node adapter, a real socket) each grow the server's RSS by less than 64 MB. The client
 * runs in a process of its own and generates the body as it sends it; so does the S3 test server
 * (in production it is another machine): what is measured is Groundwork's server alone.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BackendKind, createStack, type Stack } from './helpers'

const SIZE = Number(process.env.STORAGE_MEMORY_TEST_BYTES ?? 1024 * 1024 * 1024)
const LIMIT = 64 * 1024 * 1024

/** Runs the client in its own process while sampling this process' RSS; answers the peak growth. */
async function measured(mode: 'upload' | 'download', url: string, token: string) {
  const baseline = process.memoryUsage().rss
  let peak = baseline
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 20)
  const started = performance.now()
  try {
    const child = fork(
      fileURLToPath(new URL('./fixtures/memory-client.ts', import.meta.url)),
      [mode, url, token, String(SIZE)],
      {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    )
    const result = await new Promise<{ status: number; bytes: number }>((resolve, reject) => {
      child.once('message', (message) => resolve(message as { status: number; bytes: number }))
      child.once('exit', (code) => reject(new Error(`client exited (${code})`)))
    })
    return {
      ...result,
      growth: Math.max(peak, process.memoryUsage().rss) - baseline,
      seconds: (performance.now() - started) / 1000,
    }
  } finally {
    clearInterval(timer)
  }
}

describe.each<BackendKind>(['local', 's3'])('memory on the %s backend', (kind) => {
  let stack: Stack
  beforeAll(async () => {
    stack = await createStack(kind, { fileSizeLimit: 2 * SIZE, s3OwnProcess: true })
  })
  afterAll(() => stack?.close())

  it(`uploads and downloads ${SIZE / 2 ** 20} MiB, growing the server's RSS by less than 64 MB each`, async () => {
    const url = `${stack.url}/object/avatars/big/one.bin`
    // Warm up (JIT, pools, first-use allocations) so the baseline is steady.
    expect(
      (await measured('upload', `${stack.url}/object/avatars/big/warm.bin`, stack.tokens.service)).status,
    ).toBe(200)
    const up = await measured('upload', url, stack.tokens.service)
    const down = await measured('download', url, stack.tokens.service)
    console.log(
      `${kind}: upload ${SIZE / 2 ** 20} MiB in ${up.seconds.toFixed(1)} s, server RSS +${(up.growth / 2 ** 20).toFixed(1)} MiB; ` +
        `download in ${down.seconds.toFixed(1)} s, server RSS +${(down.growth / 2 ** 20).toFixed(1)} MiB`,
    )
    expect(up.status).toBe(200)
    expect(down).toMatchObject({ status: 200, bytes: SIZE })
    expect(up.growth).toBeLessThan(LIMIT)
    expect(down.growth).toBeLessThan(LIMIT)
  }, 300_000)
})
