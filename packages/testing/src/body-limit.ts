import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { toNodeHandler } from '@groundwork/core/node'

/** Options of {@link postOversizeBody}. */
export interface OversizeOptions {
  /** The handler under test, served on a real node:http server through `toNodeHandler`. */
  handler: (request: Request) => Promise<Response>
  /** Mount-relative path that reads a body. */
  path: string
  /** @default 'POST' */
  method?: string
  headers?: Record<string, string>
  /** The handler's `maxBodyBytes`. */
  limit: number
  /** The body sent is `limit × multiple` bytes. @default 50 */
  multiple?: number
}

/** What {@link postOversizeBody} observed. */
export interface OversizeResult {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** The response body, parsed when JSON. */
  body: unknown
  /** Bytes the client managed to send before the answer came. */
  sent: number
  /** Peak growth of this process' RSS (server and client) while the request ran, in bytes. */
  rssGrowth: number
}

const CHUNK = new Uint8Array(64 * 1024).fill(0x7b) // `{`: also a JSON nesting bomb if anyone buffered it.

/**
 * The shared "oversize body" check every handler's tests run: streams `limit × 50` bytes (chunked,
 * no `Content-Length`, so the limit must be enforced while streaming) to the handler on a real
 * server, stops sending as soon as the answer arrives, and reports the status, the body and how
 * much the process' RSS grew. Expect 413 in the handler's wire format and growth under 20 MB.
 */
export async function postOversizeBody(options: OversizeOptions): Promise<OversizeResult> {
  const total = options.limit * (options.multiple ?? 50)
  const server = createServer(toNodeHandler(options.handler))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  globalThis.gc?.()
  const baseline = process.memoryUsage().rss
  let peak = baseline
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 10)
  try {
    return await new Promise<OversizeResult>((resolve, reject) => {
      let sent = 0
      let answered = false
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path,
        headers: { 'content-type': 'application/json', ...options.headers, 'transfer-encoding': 'chunked' },
      })
      req.on('response', (res) => {
        answered = true
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let body: unknown = text
          try {
            body = JSON.parse(text)
          } catch {}
          peak = Math.max(peak, process.memoryUsage().rss)
          req.destroy()
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            sent,
            rssGrowth: peak - baseline,
          })
        })
        res.on('error', reject)
      })
      req.on('error', (error) => {
        if (!answered) reject(error)
      })
      const pump = () => {
        while (!answered && sent < total) {
          sent += CHUNK.byteLength
          if (!req.write(CHUNK)) return void req.once('drain', pump)
        }
        if (!answered) req.end()
      }
      pump()
    })
  } finally {
    clearInterval(sampler)
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
