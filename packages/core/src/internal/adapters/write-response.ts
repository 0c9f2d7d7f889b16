import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'

/** Compression middleware (`compression`) adds `flush()`; without it SSE would sit in a zlib buffer. */
type FlushableResponse = ServerResponse & { flush?: () => void }

/**
 * Node response headers for a Fetch `Headers`: every `Set-Cookie` stays a separate header line
 * (joining them with `, ` would break cookie dates), after any cookies middleware already set
 * with `res.setHeader` (which `writeHead` would otherwise replace).
 *
 * @see https://fetch.spec.whatwg.org/#dom-headers-getsetcookie
 */
export function nodeHeaders(headers: Headers, res?: ServerResponse): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of headers) {
    if (name !== 'set-cookie') out[name] = value
  }
  const cookies = headers.getSetCookie()
  if (cookies.length > 0) {
    const earlier = res?.getHeader('set-cookie')
    out['set-cookie'] =
      earlier === undefined
        ? cookies
        : [...(Array.isArray(earlier) ? earlier : [String(earlier)]), ...cookies]
  }
  return out
}

const NOT_YET = Symbol('not yet')

/** Bodies up to this size that are complete at once are sent in one write with a Content-Length. */
const MAX_BUFFERED = 64 * 1024

/**
 * Writes a Fetch `Response` to a Node response.
 *
 * A body that is complete at once (everything `Response.json()`, a string or a buffer gives, up to
 * 64 KiB) goes out with a `Content-Length` in one write, as a hand-written `res.end(json)` would.
 * Anything else streams: each chunk is written (and flushed) as soon as the handler produces it,
 * so Server-Sent Events arrive incrementally; when the first chunk is not ready at once the
 * headers go out alone, so an SSE client sees the status immediately. Writes wait for `drain`
 * (backpressure); when the client goes away the body stream is cancelled so the handler stops
 * producing. Headers set earlier by middleware (`res.setHeader`, e.g. CORS) are kept: `writeHead`
 * merges. A `HEAD` response sends no body and cancels the handler's.
 *
 * Rejects when the body stream errors; the caller decides (500 before headers, destroy after).
 */
export async function writeNodeResponse(res: FlushableResponse, response: Response): Promise<void> {
  const headers = nodeHeaders(response.headers, res)
  const body = response.body
  if (body === null || res.req?.method === 'HEAD') {
    // A null body on a status that may carry one (201, 200…) is an empty body: say so, rather than
    // letting Node announce a chunked body and send only its terminator.
    if (body === null && res.req?.method !== 'HEAD' && mayHaveBody(response.status)) {
      if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) {
        headers['content-length'] = '0'
      }
    }
    writeHead(res, response, headers)
    await body?.cancel().catch(() => {})
    res.end()
    return
  }
  const reader = body.getReader()
  const cancel = () => void reader.cancel().catch(() => {})
  res.once('close', cancel)
  try {
    // "At once" = before the next macrotask: the body exists already, or is produced by microtasks.
    const later = nextMacrotask()
    const ready: Uint8Array[] = []
    let size = 0
    let pending = reader.read()
    for (;;) {
      const next = await Promise.race([pending, later])
      if (next === NOT_YET) break
      if (next.done) {
        if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) {
          headers['content-length'] = size
        }
        writeHead(res, response, headers)
        res.end(ready.length === 1 ? ready[0] : Buffer.concat(ready, size))
        return
      }
      ready.push(next.value)
      size += next.value.byteLength
      pending = reader.read()
      if (size > MAX_BUFFERED) break
    }
    // Streaming from here on.
    writeHead(res, response, headers)
    if (ready.length === 0) res.flushHeaders()
    for (const chunk of ready) await write(res, chunk)
    for (let chunk = await pending; !chunk.done; chunk = await reader.read()) {
      if (res.destroyed) return
      await write(res, chunk.value)
    }
  } finally {
    res.off('close', cancel)
    reader.releaseLock()
  }
  if (!res.destroyed && !res.writableEnded) res.end()
}

function writeHead(res: ServerResponse, response: Response, headers: OutgoingHttpHeaders): void {
  if (response.statusText !== '' && res.req?.httpVersionMajor === 1) {
    res.writeHead(response.status, response.statusText, headers)
  } else {
    res.writeHead(response.status, headers)
  }
}

async function write(res: FlushableResponse, chunk: Uint8Array): Promise<void> {
  if (res.destroyed) return
  const flowing = res.write(chunk)
  res.flush?.()
  if (!flowing) await drainOrClose(res)
}

function nextMacrotask(): Promise<typeof NOT_YET> {
  return new Promise((resolve) => setImmediate(resolve, NOT_YET))
}

function drainOrClose(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.once('drain', done)
    res.once('close', done)
  })
}

/** 1xx, 204 and 304 never carry a body (RFC 9110 §6.4.1), so they get no Content-Length either. */
function mayHaveBody(status: number): boolean {
  return status >= 200 && status !== 204 && status !== 304
}
