/**
 * Shared setup of the Next.js adapter tests: the fixture in `fixtures/next-app`
 * (`app/api/[...path]/route.ts` = `toNextJsHandler(probe, { basePath: '/api' })`) served by
 * Next's own server in this process, and the shared adapter contract run against it. The route's
 * handler is the probe the test puts on `globalThis` (same process), so it is controlled exactly as
 * in the Express and Fastify tests. One Next server per process: two (dev and production) in one
 * process share Next's global state and break each other, so each mode has its own test file.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, beforeEach, describe } from 'vitest'
import { adapterContract, createProbe, type Probe } from './adapters-harness'

const dir = fileURLToPath(new URL('./fixtures/next-app/', import.meta.url))
const nextBin = fileURLToPath(new URL('../node_modules/next/dist/bin/next', import.meta.url))
/** Everything the built route depends on; a change triggers a rebuild. */
const inputs = [
  'fixtures/next-app/app/api/[...path]/route.ts',
  'fixtures/next-app/next.config.mjs',
  '../src/next.ts',
  '../src/config.ts',
  '../src/errors.ts',
  '../src/internal/adapters/error-response.ts',
  '../src/internal/adapters/mount-path.ts',
  '../src/internal/adapters/options.ts',
  '../package.json',
]

/** `next build` of the fixture, skipped when a stamp says its inputs did not change. */
async function buildIfChanged(): Promise<void> {
  const hash = createHash('sha256')
  for (const input of inputs) hash.update(await readFile(new URL(input, import.meta.url)))
  const digest = hash.digest('hex')
  const stamp = new URL('./fixtures/next-app/.next/groundwork-inputs', import.meta.url)
  const built = await readFile(stamp, 'utf8').catch(() => '')
  if (built === digest) return
  await promisify(execFile)(process.execPath, [nextBin, 'build', dir], {
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    timeout: 170_000,
  })
  await writeFile(stamp, digest)
}

interface RunningNext {
  origin: string
  port: number
  close: () => Promise<void>
}

/** Next's own server for the fixture (production build, or dev mode compiling on demand). */
async function startNext(dev: boolean): Promise<RunningNext> {
  let handle: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined
  const server = createServer((req, res) => void handle?.(req, res))
  server.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const port = (server.address() as AddressInfo).port
  // Next.js builds `request.url` from the hostname and port it is told (as `next start` does).
  const { default: next } = await import('next')
  const app = next({ dev, dir, quiet: true, hostname: '127.0.0.1', port })
  await app.prepare()
  handle = app.getRequestHandler()
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await app.close()
    },
  }
}

/** Starts the fixture in `mode` around the describe block and runs the adapter contract on it. */
export function nextAdapterContract(mode: 'production' | 'dev'): void {
  let probe: Probe
  let running: RunningNext | undefined

  beforeAll(async () => {
    process.env.NEXT_TELEMETRY_DISABLED = '1'
    ;(globalThis as { __groundworkProbe?: unknown }).__groundworkProbe = {
      handler: (request: Request) => probe.handler(request),
      onError: (error: unknown) => probe.onError(error),
    }
    if (mode === 'production') await buildIfChanged()
    running = await startNext(mode === 'dev')
    // Dev mode compiles the route on its first request: do it here, not inside a timed test.
    if (mode === 'dev') {
      probe = createProbe()
      await fetch(`${running.origin}/api/warm-up`)
    }
  }, 180_000)

  afterAll(async () => {
    await running?.close()
    delete (globalThis as { __groundworkProbe?: unknown }).__groundworkProbe
  })

  beforeEach(() => {
    probe = createProbe()
  })

  describe(`Next.js 16 App Router (${mode}): app/api/[...path]/route.ts = toNextJsHandler(handler, { basePath: "/api" })`, () => {
    adapterContract(
      // NextURL reports a 127.0.0.1 host as localhost.
      () => ({ base: `${running!.origin}/api`, mount: '/api', host: `localhost:${running!.port}` }),
      () => probe,
    )
  })
}
