import type { IncomingMessage, ServerResponse } from 'node:http'
import { parseOptions } from './config'
import type { OnError } from './errors'
import { adapterOptionsSchema, nodeUrlOptionsShape } from './internal/adapters/options'
import { serveNode } from './internal/adapters/serve-node'
import type { FetchHandler } from './internal/adapters/types'

export type { FetchHandler } from './internal/adapters/types'

/** Options of {@link toNodeHandler}. */
export interface NodeHandlerOptions {
  /**
   * A prefix to strip from `req.url` before the handler sees it. Not needed under Express or
   * Connect `app.use(path, …)`, which already strip the mount path; use it with plain node:http
   * when you route a prefix to the handler yourself. A path that does not start with it is passed
   * through unchanged.
   * @default ''
   */
  basePath?: string
  /**
   * Called with every error the handler threw that is not a `GroundworkError` (the client gets a
   * generic 500), and with errors of a response body that failed mid-stream.
   * @default undefined
   */
  onError?: OnError
  /**
   * Host for the Request URL, overriding the `Host` header (e.g. your public hostname).
   * @default the `Host` header
   */
  host?: string
  /**
   * Protocol for the Request URL (`https:` behind a TLS-terminating proxy).
   * @default from the connection
   */
  protocol?: 'http:' | 'https:'
  /**
   * Trust `Forwarded` / `X-Forwarded-Host` / `X-Forwarded-Proto` for the URL, and the first
   * `X-Forwarded-For` hop as the client address (`clientAddress(request)`, used by rate limits)
   * when the framework did not resolve one (Express's `req.ip` wins). Only behind a proxy that
   * overwrites them.
   * @default false
   */
  trustProxy?: boolean
}

/**
 * A Node request listener / Connect-style middleware. `next` is accepted so it mounts in Express
 * and Connect, and never called: the handler answers every request routed to it.
 */
export type NodeHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void

const nodeOptionsSchema = adapterOptionsSchema.extend(nodeUrlOptionsShape)

/**
 * Mounts a Groundwork handler in node:http, Express 5 or Connect.
 *
 * **Mount-relative URLs.** The handler sees `request.url` relative to where it is mounted: inside
 * `app.use('/auth/v1', …)` a request for `/auth/v1/user?x=1` reaches it as
 * `http://host/user?x=1` (Express's own `req.url`). Mount with `app.use`, not `app.all('/x/*')`,
 * which keeps the full path (or pass `basePath`). The removed prefix (`/auth/v1`) is passed in
 * the `x-forwarded-prefix` request header, for handlers that build absolute links.
 *
 * - The request body streams from the socket with backpressure; a body that `express.json()`, `urlencoded()`,
 *   `text()` or `raw()` already parsed is re-serialised with the request's `Content-Type`.
 * - `request.signal` aborts when the client disconnects before the response ended (also in the
 *   middle of an SSE stream), and the response body stream is cancelled.
 * - Response chunks are written and flushed as produced (Server-Sent Events stream), every
 *   `Set-Cookie` stays its own header, `HEAD` sends no body.
 * - A thrown `GroundworkError` is answered with its status as `{ code, message }`; anything else
 *   with a generic 500 and goes to `onError` — no internals reach the client.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { toNodeHandler } from '@groundwork/core/node'
 *
 * const app = express()
 * app.use('/auth/v1', toNodeHandler(auth.handler))
 * app.use(express.json()) // fine before or after: parsed bodies are re-serialised
 * app.use('/rest/v1', toNodeHandler(rest.handler, { onError: (e) => logger.error(e) }))
 * ```
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * createServer(toNodeHandler(rest.handler)).listen(3000) // routes on the full path
 * ```
 * @see https://expressjs.com/en/5x/api.html#req.originalUrl for how Express rewrites `req.url`
 */
export function toNodeHandler(handler: FetchHandler, options: NodeHandlerOptions = {}): NodeHandler {
  const resolved = parseOptions(nodeOptionsSchema, options, 'toNodeHandler')
  return (req, res) => {
    void serveNode(handler, req, res, resolved)
  }
}
