import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A running test server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  origin: string
  close(): Promise<void>
}

/**
 * Serves a Web-standard handler on a real node:http server on a random port, mounted at
 * `mount` (the handler sees paths relative to it, as with `app.use(mount, toNodeHandler(h))`).
 * A small node↔fetch bridge local to the tests, so they do not depend on an adapter package.
 */
export async function serve(
  handler: (request: Request) => Promise<Response>,
  mount = '',
): Promise<TestServer> {
  const server: Server = createServer((req, res) => {
    bridge(handler, mount, req, res).catch((error: unknown) => {
      res.statusCode = 500
      res.end(String(error))
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      )
    },
  }
}

async function bridge(
  handler: (request: Request) => Promise<Response>,
  mount: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const rawUrl = req.url ?? '/'
  if (mount && !(rawUrl === mount || rawUrl.startsWith(`${mount}/`) || rawUrl.startsWith(`${mount}?`))) {
    res.statusCode = 404
    res.end('not mounted here')
    return
  }
  const relative = rawUrl.slice(mount.length) || '/'
  const url = new URL(relative.startsWith('/') ? relative : `/${relative}`, `http://${req.headers.host}`)
  const headers = new Headers()
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string)
  let body: Buffer<ArrayBuffer> | undefined
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    if (chunks.length > 0) body = Buffer.concat(chunks)
  }
  const request = new Request(url, { method: req.method ?? 'GET', headers, ...(body ? { body } : {}) })
  const response = await handler(request)
  res.statusCode = response.status
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value)
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) res.setHeader('set-cookie', cookies)
  res.end(Buffer.from(await response.arrayBuffer()))
}
