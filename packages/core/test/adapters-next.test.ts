/**
 * `toNextJsHandler` in a real Next.js 16 App Router app: the fixture in `fixtures/next-app`
 * (`app/api/[...path]/route.ts`) is built with `next build` (skipped when its inputs did not
 * change since the last build) and served in this process by Next's own production server
 * (`next({ dev: false })`) on a random port. The route's handler is the probe this file puts
 * on `globalThis`, so the shared adapter contract runs unchanged.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { ConfigError } from '@groundwork/core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { toNextJsHandler } from '../src/next'
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

let probe: Probe
let server: Server | undefined
let closeNext: (() => Promise<void>) | undefined
let origin: string
let port: number

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

beforeAll(async () => {
  await buildIfChanged()
  ;(globalThis as { __groundworkProbe?: unknown }).__groundworkProbe = {
    handler: (request: Request) => probe.handler(request),
    onError: (error: unknown) => probe.onError(error),
  }
  let handle: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined
  server = createServer((req, res) => void handle?.(req, res))
  server.listen(0, '127.0.0.1')
  await new Promise((resolve) => server?.once('listening', resolve))
  port = (server.address() as AddressInfo).port
  origin = `http://127.0.0.1:${port}`
  // Next.js builds `request.url` from the hostname and port it is told (as `next start` does).
  const { default: next } = await import('next')
  const app = next({ dev: false, dir, quiet: true, hostname: '127.0.0.1', port })
  await app.prepare()
  closeNext = () => app.close()
  handle = app.getRequestHandler()
}, 180_000)

afterAll(async () => {
  if (server !== undefined) {
    server.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
  }
  await closeNext?.()
  delete (globalThis as { __groundworkProbe?: unknown }).__groundworkProbe
})

beforeEach(() => {
  probe = createProbe()
})

describe('Next.js 16 App Router: app/api/[...path]/route.ts = toNextJsHandler(handler, { basePath: "/api" })', () => {
  adapterContract(
    // NextURL reports a 127.0.0.1 host as localhost.
    () => ({ base: `${origin}/api`, mount: '/api', host: `localhost:${port}` }),
    () => probe,
  )
})

describe('toNextJsHandler without a server', () => {
  it('maps every method to the same handler and strips basePath', async () => {
    const seen: string[] = []
    const routes = toNextJsHandler(
      async (request) => {
        seen.push(`${request.method} ${new URL(request.url).pathname}`)
        return new Response(null, { status: 204 })
      },
      { basePath: '/auth/v1/' },
    )
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const) {
      const response = await routes[method](new Request('http://x/auth/v1/user', { method }))
      expect(response.status).toBe(204)
    }
    expect(seen).toEqual(
      ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].map((m) => `${m} /user`),
    )
  })

  it('rejects a basePath without a leading slash, naming the field', () => {
    expect(() => toNextJsHandler(async () => new Response(), { basePath: 'api' })).toThrow(ConfigError)
    expect(() => toNextJsHandler(async () => new Response(), { basePath: 'api' })).toThrow(
      /toNextJsHandler\.basePath/,
    )
  })
})
