/**
 * `toNodeHandler` as a plain node:http request listener (no framework): the handler sees the
 * full path, or the path below `basePath` when one is given.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { ConfigError } from '@groundwork/core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { toNodeHandler } from '../src/node'
import { adapterContract, createProbe, type Probe } from './adapters-harness'

let probe: Probe
const servers: Server[] = []
let plain: string
let based: string

async function listen(server: Server): Promise<string> {
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

beforeAll(async () => {
  const options = { onError: (error: unknown) => probe.onError(error) }
  plain = await listen(createServer(toNodeHandler((request) => probe.handler(request), options)))
  based = await listen(
    createServer(toNodeHandler((request) => probe.handler(request), { ...options, basePath: '/auth/v1/' })),
  )
})

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

beforeEach(() => {
  probe = createProbe()
})

describe('node:http, no basePath', () => {
  adapterContract(
    () => ({ base: plain, mount: '' }),
    () => probe,
  )
})

describe('node:http response framing', () => {
  it('sends a body that is complete at once in one piece with its Content-Length', async () => {
    const response = await fetch(`${plain}/echo`)
    const text = await response.text()
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(text)))
    expect(response.headers.get('transfer-encoding')).toBeNull()
  })

  it('streams a large body (chunked) and delivers it intact', async () => {
    const response = await fetch(`${plain}/big`)
    expect(response.headers.get('transfer-encoding')).toBe('chunked')
    expect(await response.text()).toBe('0123456789'.repeat(20_000))
  })

  it('frames a null body as Content-Length: 0 (201), and gives 204 neither length nor chunks', async () => {
    const server = createServer(
      toNodeHandler(
        (request) => new Response(null, { status: request.url.endsWith('/created') ? 201 : 204 }),
      ),
    )
    const url = await listen(server)
    const created = await fetch(`${url}/created`)
    expect(created.status).toBe(201)
    expect(created.headers.get('content-length')).toBe('0')
    expect(created.headers.get('transfer-encoding')).toBeNull()
    const empty = await fetch(`${url}/nothing`)
    expect(empty.status).toBe(204)
    expect(empty.headers.get('content-length')).toBeNull()
    expect(empty.headers.get('transfer-encoding')).toBeNull()
  })

  it('streams an SSE response (chunked, no Content-Length)', async () => {
    const controller = new AbortController()
    const response = await fetch(`${plain}/sse`, { signal: controller.signal })
    expect(response.headers.get('content-length')).toBeNull()
    controller.abort()
    await probe.aborted.promise
  })
})

describe('node:http, basePath "/auth/v1/"', () => {
  adapterContract(
    () => ({ base: `${based}/auth/v1`, mount: '/auth/v1' }),
    () => probe,
  )

  it('leaves a path outside basePath (or only sharing its letters) unchanged', async () => {
    const response = await fetch(`${based}/auth/v10/echo`)
    expect(await response.json()).toEqual({ code: 'NOT_FOUND', path: '/auth/v10/echo' })
  })
})

/** Sends `head` on a raw socket and returns everything the server answered. */
async function rawRequest(origin: string, head: string): Promise<string> {
  const { port } = new URL(origin)
  const socket = connect(Number(port), '127.0.0.1')
  socket.end(head)
  let text = ''
  for await (const chunk of socket) text += chunk
  return text
}

describe('toNodeHandler with requests no URL can be built from', () => {
  it('answers 400 for a malformed Host header without calling the handler or onError', async () => {
    const answer = await rawRequest(
      plain,
      'GET /echo HTTP/1.1\r\nHost: bad host\r\nConnection: close\r\n\r\n',
    )
    expect(answer).toMatch(/^HTTP\/1\.1 400 /)
    expect(answer).toContain('"code":"CORE_BAD_REQUEST"')
    expect(probe.seenUrls).toEqual([])
    expect(probe.reported).toEqual([])
  })
})

describe('toNodeHandler URL options', () => {
  async function urlSeen(options: Parameters<typeof toNodeHandler>[1], headers: Record<string, string>) {
    const origin = await listen(createServer(toNodeHandler((request) => probe.handler(request), options)))
    await fetch(`${origin}/echo`, { headers })
    return new URL(probe.seenUrls.at(-1)!)
  }

  it('ignores X-Forwarded-Host/Proto unless trustProxy is set', async () => {
    const forwarded = { 'x-forwarded-host': 'api.example.com', 'x-forwarded-proto': 'https' }
    const untrusted = await urlSeen({}, forwarded)
    expect(untrusted.protocol).toBe('http:')
    expect(untrusted.hostname).toBe('127.0.0.1')
    const trusted = await urlSeen({ trustProxy: true }, forwarded)
    expect(trusted.origin).toBe('https://api.example.com')
  })

  it('uses a fixed host and protocol when given', async () => {
    const fixed = await urlSeen(
      { host: 'public.example.com', protocol: 'https:' },
      { 'x-forwarded-host': 'evil.example' },
    )
    expect(fixed.origin).toBe('https://public.example.com')
  })
})

describe('toNodeHandler options', () => {
  it('rejects a basePath without a leading slash, naming the field', () => {
    expect(() => toNodeHandler(probe.handler, { basePath: 'auth' })).toThrow(ConfigError)
    expect(() => toNodeHandler(probe.handler, { basePath: 'auth' })).toThrow(/toNodeHandler\.basePath/)
  })
})
