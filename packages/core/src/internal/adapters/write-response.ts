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

/**
 * Writes a Fetch `Response` to a Node response. Each body chunk is written (and flushed) as soon
 * as the handler produces it, so Server-Sent Events arrive incrementally; when the first chunk is
 * not ready at once the headers go out alone, so an SSE client sees the status immediately.
 * Writes wait for `drain` (backpressure); when the client goes away the body stream is cancelled
 * so the handler stops producing. Headers set earlier by middleware (`res.setHeader`, e.g. CORS)
 * are kept: `writeHead` merges. A `HEAD` response sends no body and cancels the handler's.
 *
 * Rejects when the body stream errors; the caller decides (500 before headers, destroy after).
 */
export async function writeNodeResponse(res: FlushableResponse, response: Response): Promise<void> {
  const headers = nodeHeaders(response.headers, res)
  if (response.statusText !== '' && res.req?.httpVersionMajor === 1) {
    res.writeHead(response.status, response.statusText, headers)
  } else {
    res.writeHead(response.status, headers)
  }
  const body = response.body
  if (body === null || res.req?.method === 'HEAD') {
    await body?.cancel().catch(() => {})
    res.end()
    return
  }
  const reader = body.getReader()
  const cancel = () => void reader.cancel().catch(() => {})
  res.once('close', cancel)
  try {
    const pending = reader.read()
    let next = await Promise.race([pending, nextMacrotask()])
    if (next === NOT_YET) {
      res.flushHeaders()
      next = await pending
    }
    for (let chunk = next; !chunk.done; chunk = await reader.read()) {
      if (res.destroyed) return
      const flowing = res.write(chunk.value)
      res.flush?.()
      if (!flowing) await drainOrClose(res)
    }
  } finally {
    res.off('close', cancel)
    reader.releaseLock()
  }
  if (!res.destroyed && !res.writableEnded) res.end()
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
