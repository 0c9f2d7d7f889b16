/**
 * A probe handler and the adapter contract every framework test runs against a real listening
 * server: mount-relative URLs, streaming request and response bodies, SSE delivered before the
 * next event exists, client aborts reaching `request.signal`, several Set-Cookie headers, HEAD,
 * and errors without internals.
 */
import { GroundworkError } from '@groundwork/core'
import { expect, it } from 'vitest'

export interface Deferred<T = void> {
  promise: Promise<T>
  resolve: (value: T) => void
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** Rejects when `promise` does not settle in `ms` (so a broken adapter fails instead of hanging). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

const encoder = new TextEncoder()

/** Per-test state the probe handler shares with the test. */
export interface Probe {
  handler: (request: Request) => Promise<Response>
  /** Resolved by the test once it has read SSE event 1; the handler then produces event 2. */
  releaseSecondEvent: Deferred
  /** Whether event 2 had been produced (the test checks it is not, when it reads event 1). */
  secondEventProduced: boolean
  /** Resolved with the abort reason when `request.signal` of an SSE request aborts. */
  aborted: Deferred<unknown>
  /** Resolved when the adapter cancelled the SSE response stream. */
  cancelled: Deferred
  /** Resolved when the handler received the first chunk of a streamed upload. */
  firstUploadChunk: Deferred<string>
  /** Errors given to the adapter's `onError`. */
  reported: unknown[]
  onError: (error: unknown) => void
  /** Every URL the handler saw. */
  seenUrls: string[]
  /** How many 64 KiB chunks the `/firehose` response stream was asked for. */
  firehosePulls: number
  /** Resolved when `/read-one` read its first upload chunk; it then stops reading until `releaseUpload`. */
  readOne: Deferred
  releaseUpload: Deferred
}

export function createProbe(): Probe {
  const probe: Probe = {
    releaseSecondEvent: deferred(),
    secondEventProduced: false,
    aborted: deferred<unknown>(),
    cancelled: deferred(),
    firstUploadChunk: deferred<string>(),
    reported: [],
    onError: (error) => probe.reported.push(error),
    seenUrls: [],
    firehosePulls: 0,
    readOne: deferred(),
    releaseUpload: deferred(),
    handler: async (request) => {
      probe.seenUrls.push(request.url)
      const url = new URL(request.url)
      switch (`${request.method} ${url.pathname}`) {
        case 'GET /echo':
        case 'HEAD /echo':
          return Response.json(
            { method: request.method, path: url.pathname + url.search, host: url.host },
            { headers: { 'x-probe': 'yes' } },
          )
        case 'POST /echo':
        case 'PUT /echo':
          return Response.json({
            method: request.method,
            path: url.pathname,
            contentType: request.headers.get('content-type'),
            contentLength: request.headers.get('content-length'),
            body: await request.text(),
          })
        case 'POST /upload':
          return upload(request, probe)
        case 'GET /cookies': {
          const headers = new Headers()
          headers.append('set-cookie', 'a=1; Path=/; HttpOnly')
          headers.append('set-cookie', 'b=2; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT')
          return new Response('ok', { headers })
        }
        case 'GET /sse':
          return sse(request, probe)
        case 'GET /prefix':
          return Response.json({ prefix: request.headers.get('x-forwarded-prefix') })
        case 'GET /big':
          return new Response('0123456789'.repeat(20_000), { headers: { 'content-type': 'text/plain' } })
        case 'GET /wait-for-abort':
          // A handler that is still working (e.g. a long query) when the client leaves.
          request.signal.addEventListener('abort', () => probe.aborted.resolve(request.signal.reason), {
            once: true,
          })
          await probe.aborted.promise
          throw request.signal.reason
        case 'POST /read-one': {
          const reader = request.body!.getReader()
          await reader.read()
          probe.readOne.resolve()
          await probe.releaseUpload.promise
          await reader.cancel()
          return new Response('enough', { status: 413 })
        }
        case 'GET /firehose':
          return firehose(probe)
        case 'GET /broken-stream':
          return brokenStream()
        case 'GET /throw':
          throw new Error('secret internals: password=hunter2')
        case 'GET /teapot':
          throw new GroundworkError('TEST_TEAPOT', 'I am a teapot', { status: 418 })
        default:
          return Response.json({ code: 'NOT_FOUND', path: url.pathname }, { status: 404 })
      }
    },
  }
  return probe
}

async function upload(request: Request, probe: Probe): Promise<Response> {
  const reader = request.body!.pipeThrough(new TextDecoderStream()).getReader()
  const chunks: string[] = []
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (chunks.length === 0) probe.firstUploadChunk.resolve(value)
    chunks.push(value)
  }
  return Response.json({ chunks: chunks.length, body: chunks.join('') })
}

function sse(request: Request, probe: Probe): Response {
  request.signal.addEventListener('abort', () => probe.aborted.resolve(request.signal.reason), { once: true })
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(encoder.encode('id: 1\ndata: first\n\n'))
      await probe.releaseSecondEvent.promise
      if (request.signal.aborted) return
      probe.secondEventProduced = true
      controller.enqueue(encoder.encode('id: 2\ndata: second\n\n'))
      controller.close()
    },
    cancel() {
      probe.cancelled.resolve()
    },
  })
  return new Response(stream, {
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
  })
}

const FIREHOSE_CHUNKS = 1_000 // × 64 KiB = 62.5 MiB, far more than socket buffers hold

/** A response that produces 64 KiB chunks as fast as it is asked to (only backpressure stops it). */
function firehose(probe: Probe): Response {
  const chunk = new Uint8Array(64 * 1024).fill(120)
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        probe.firehosePulls++
        if (probe.firehosePulls > FIREHOSE_CHUNKS) controller.close()
        else controller.enqueue(chunk.slice())
      },
    },
    { highWaterMark: 1 },
  )
  return new Response(stream, { headers: { 'content-type': 'application/octet-stream' } })
}

/** A 200 whose body fails after its first chunk (the adapter must cut the connection). */
function brokenStream(): Response {
  let sent = false
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        throw new Error('secret internals: stream failed')
      }
      sent = true
      controller.enqueue(encoder.encode('partial;'))
    },
  })
  return new Response(stream, { headers: { 'content-type': 'text/plain' } })
}

/** Reads from `reader` until a complete SSE event (`\n\n`) arrived; returns it and what is left. */
export async function readEvent(
  reader: ReadableStreamDefaultReader<string>,
  buffered = '',
): Promise<{ event: string; rest: string }> {
  let text = buffered
  while (!text.includes('\n\n')) {
    const { done, value } = await within(reader.read(), 5_000, 'an SSE event')
    if (done) throw new Error(`stream ended before a full event; got ${JSON.stringify(text)}`)
    text += value
  }
  const end = text.indexOf('\n\n') + 2
  return { event: text.slice(0, end), rest: text.slice(end) }
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10))
}

export interface AdapterServer {
  /** URL of the mount point, without a trailing slash (`http://127.0.0.1:1234/auth/v1`). */
  base: string
  /** The mount prefix the handler must not see. */
  mount: string
  /** The host the handler sees in `request.url`, when not the one of `base`. */
  host?: string
}

/**
 * The behaviours every adapter must show, as `it` blocks. `getServer()` returns the running
 * server; `probe()` the probe its handler uses for the current test.
 */
export function adapterContract(getServer: () => AdapterServer, probe: () => Probe): void {
  it('routes relative to the mount point', async () => {
    const { base, mount, host } = getServer()
    const response = await fetch(`${base}/echo?x=1&y=%2F`)
    expect(response.status).toBe(200)
    const body = await response.json()
    expect(body).toMatchObject({ method: 'GET', path: '/echo?x=1&y=%2F' })
    expect(body.host).toBe(host ?? new URL(base).host)
    if (mount !== '')
      expect(probe().seenUrls.some((url) => new URL(url).pathname.startsWith(mount))).toBe(false)
  })

  it('passes the mount prefix in x-forwarded-prefix', async () => {
    const { base, mount } = getServer()
    const response = await fetch(`${base}/prefix`, { headers: { 'x-forwarded-prefix': '/spoofed' } })
    const { prefix } = await response.json()
    if (mount !== '') expect(prefix).toBe(mount)
    else expect(prefix).toBe('/spoofed')
  })

  it('cuts the connection when the response body fails mid-stream', async () => {
    const response = await fetch(`${getServer().base}/broken-stream`)
    expect(response.status).toBe(200)
    await expect(response.text()).rejects.toThrow()
    await within(
      waitFor(() => probe().reported.length > 0),
      5_000,
      'onError to see the stream failure',
    )
    expect(String(probe().reported[0])).toContain('stream failed')
  })

  it('streams a POST body through to the handler', async () => {
    const response = await fetch(`${getServer().base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array([104, 105, 33]),
    })
    expect(await response.json()).toMatchObject({ method: 'POST', path: '/echo', body: 'hi!' })
  })

  it('delivers a streamed upload to the handler chunk by chunk', async () => {
    const p = probe()
    let pulls = 0
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        pulls++
        if (pulls === 1) return controller.enqueue(encoder.encode('chunk-one;'))
        // The second chunk only exists once the handler has read the first one.
        await within(p.firstUploadChunk.promise, 5_000, 'the handler to receive upload chunk 1')
        controller.enqueue(encoder.encode('chunk-two'))
        controller.close()
      },
    })
    const response = await fetch(`${getServer().base}/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body,
      duplex: 'half',
    } as RequestInit)
    const result = await response.json()
    expect(await p.firstUploadChunk.promise).toBe('chunk-one;')
    expect(result.body).toBe('chunk-one;chunk-two')
    expect(result.chunks).toBeGreaterThanOrEqual(2)
  })

  it('stops pulling the response body while the client does not read (backpressure)', async () => {
    const p = probe()
    const controller = new AbortController()
    const response = await fetch(`${getServer().base}/firehose`, { signal: controller.signal })
    const reader = response.body!.getReader()
    await reader.read()
    await new Promise((resolve) => setTimeout(resolve, 500))
    const pulled = p.firehosePulls
    // Socket and stream buffers hold a few MiB; without backpressure all 1000 chunks are pulled at once.
    expect(pulled).toBeGreaterThan(1)
    expect(pulled).toBeLessThan(FIREHOSE_CHUNKS / 2)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(p.firehosePulls - pulled).toBeLessThan(20) // and it stays (nearly) stopped
    controller.abort()
  })

  it('stops reading the request body while the handler does not (backpressure)', async () => {
    const p = probe()
    let pulls = 0
    const chunk = new Uint8Array(64 * 1024).fill(121)
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulls++
          if (pulls > FIREHOSE_CHUNKS) controller.close()
          else controller.enqueue(chunk.slice())
        },
      },
      { highWaterMark: 1 },
    )
    const controller = new AbortController()
    const pending = fetch(`${getServer().base}/read-one`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body,
      duplex: 'half',
      signal: controller.signal,
    } as RequestInit).catch(() => undefined)
    await within(p.readOne.promise, 5_000, 'the handler to read the first upload chunk')
    await new Promise((resolve) => setTimeout(resolve, 500))
    const sent = pulls
    expect(sent).toBeLessThan(FIREHOSE_CHUNKS / 2)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(pulls - sent).toBeLessThan(20)
    p.releaseUpload.resolve()
    controller.abort()
    await pending
  })

  it('keeps several Set-Cookie headers separate', async () => {
    const response = await fetch(`${getServer().base}/cookies`)
    expect(response.headers.getSetCookie()).toEqual([
      'a=1; Path=/; HttpOnly',
      'b=2; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT',
    ])
  })

  it('streams Server-Sent Events incrementally', async () => {
    const p = probe()
    const response = await fetch(`${getServer().base}/sse`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
    const first = await readEvent(reader)
    expect(first.event).toBe('id: 1\ndata: first\n\n')
    // Event 1 arrived while the handler is still blocked before producing event 2.
    expect(p.secondEventProduced).toBe(false)
    p.releaseSecondEvent.resolve()
    const second = await readEvent(reader, first.rest)
    expect(second.event).toBe('id: 2\ndata: second\n\n')
    expect(await reader.read()).toMatchObject({ done: true })
  })

  it('aborts request.signal when the client disconnects mid-SSE', async () => {
    const p = probe()
    const controller = new AbortController()
    const response = await fetch(`${getServer().base}/sse`, { signal: controller.signal })
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
    expect((await readEvent(reader)).event).toBe('id: 1\ndata: first\n\n')
    controller.abort()
    await within(p.aborted.promise, 5_000, 'request.signal to abort')
    await within(p.cancelled.promise, 5_000, 'the response stream to be cancelled')
    p.releaseSecondEvent.resolve()
    expect(p.secondEventProduced).toBe(false)
    expect(p.reported).toEqual([])
  })

  it('aborts request.signal when the client leaves before the response started, without reporting it', async () => {
    const p = probe()
    const controller = new AbortController()
    const pending = fetch(`${getServer().base}/wait-for-abort`, { signal: controller.signal })
    await within(
      waitFor(() => p.seenUrls.length > 0),
      5_000,
      'the handler to start',
    )
    controller.abort()
    await expect(pending).rejects.toThrow()
    await within(p.aborted.promise, 5_000, 'request.signal to abort')
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(p.reported).toEqual([])
  })

  it('answers HEAD with headers and no body', async () => {
    const response = await fetch(`${getServer().base}/echo`, { method: 'HEAD' })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-probe')).toBe('yes')
    expect(await response.text()).toBe('')
    expect(probe().seenUrls.length).toBe(1)
  })

  it('turns an unknown error into a generic 500 and reports it to onError', async () => {
    const response = await fetch(`${getServer().base}/throw`)
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(text).not.toContain('secret')
    expect(JSON.parse(text)).toEqual({ code: 'INTERNAL_ERROR', message: 'Internal server error' })
    expect(probe().reported).toHaveLength(1)
    expect(String(probe().reported[0])).toContain('secret internals')
  })

  it('renders a thrown GroundworkError with its status and code', async () => {
    const response = await fetch(`${getServer().base}/teapot`)
    expect(response.status).toBe(418)
    expect(await response.json()).toEqual({ code: 'TEST_TEAPOT', message: 'I am a teapot' })
    expect(probe().reported).toHaveLength(0)
  })
}
