import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { toNodeHandler } from '@groundwork/core/node'

/** A running test server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  origin: string
  close(): Promise<void>
}

/**
 * Serves a Web-standard handler on a real node:http server on a random port through core's
 * `toNodeHandler`, mounted at `mount` (the handler sees paths relative to it, as with
 * `app.use(mount, toNodeHandler(h))`).
 */
export async function serve(
  handler: (request: Request) => Promise<Response>,
  mount = '',
): Promise<TestServer> {
  const server: Server = createServer(toNodeHandler(handler, { basePath: mount, trustProxy: true }))
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
