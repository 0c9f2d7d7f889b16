import type { IncomingMessage, ServerResponse } from 'node:http'
import { createRequest, type RequestOptions } from '@remix-run/node-fetch-server'
import { recordClientAddress } from '../../client-address'
import { PREFIX_HEADER, stripBasePath } from './mount-path'
import { withParsedBody } from './parsed-body'

/** A Node request that a framework's body parser may have read already. */
export type NodeRequest = IncomingMessage & {
  /** Set by `express.json()`/`urlencoded()`/`text()`/`raw()` (body-parser) and similar. */
  body?: unknown
  /** body-parser's own "already parsed" flag. */
  _body?: unknown
  /** Express/Connect: the URL before mounting rewrote `req.url`. */
  originalUrl?: string
  /** Express: the client address, honouring the app's `trust proxy` setting. */
  ip?: unknown
}

export interface NodeRequestOptions extends RequestOptions {
  /** Prefix removed from `req.url` (see `mount-path.ts`). */
  basePath: string
  /** The client address as the framework resolved it (Fastify's `request.ip`). */
  clientAddress?: string | undefined
}

/**
 * A Fetch `Request` for a Node request, built by `@remix-run/node-fetch-server`'s `createRequest`:
 * the body streams from the socket with backpressure (the socket is paused while the stream's
 * queue is full), and `request.signal` aborts when the response closes before it finished (the
 * client disconnected, including in the middle of an SSE stream).
 *
 * The URL is mount-relative: Express/Connect already rewrote `req.url`, and `basePath` is
 * stripped on top. The removed prefix is passed in `x-forwarded-prefix` (overwriting a
 * client-sent one) so a handler can still build absolute links.
 *
 * When a parser already consumed the stream, the parsed `req.body` is serialised back instead.
 */
export function requestFromNode(
  req: NodeRequest,
  res: ServerResponse,
  { basePath, clientAddress, ...options }: NodeRequestOptions,
): Request {
  const method = req.method ?? 'GET'
  const consumed = method !== 'GET' && method !== 'HEAD' && isBodyConsumed(req)
  const url = req.url ?? '/'
  const relative = stripBasePath(url, basePath)
  const prefix = mountPrefix(req.originalUrl, url) + (relative === url ? '' : basePath)
  // createRequest attaches a body stream to every non-GET request; for a consumed stream that
  // would never end, so it builds the URL, headers and abort signal from a GET view of the message.
  const source: NodeRequest = consumed ? Object.create(req, { method: { value: 'GET' } }) : req
  // createRequest reads `req.url` synchronously; it is restored at once, so the host framework
  // never observes the rewrite.
  req.url = relative
  let request: Request
  try {
    request = createRequest(source, res, options)
  } finally {
    req.url = url
  }
  if (prefix !== '') request.headers.set(PREFIX_HEADER, prefix)
  const built = consumed ? withParsedBody(request, req.body, method) : request
  recordClientAddress(built, clientAddress ?? addressOf(req, options.trustProxy === true))
  return built
}

/**
 * Express's `req.ip` (its `trust proxy` setting applies), else with `trustProxy` the first
 * `X-Forwarded-For` hop, else the socket's remote address.
 */
function addressOf(req: NodeRequest, trustProxy: boolean): string | undefined {
  if (typeof req.ip === 'string' && req.ip !== '') return req.ip
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for']
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim()
    if (first) return first
  }
  return req.socket?.remoteAddress
}

/** The path Express/Connect removed from `originalUrl` to get `url` (`/rest/v1`), or ''. */
function mountPrefix(originalUrl: string | undefined, url: string): string {
  if (originalUrl === undefined || originalUrl === url) return ''
  const original = pathOf(originalUrl)
  const relative = pathOf(url)
  if (relative === '/' && !original.endsWith('/')) return original
  return original.endsWith(relative) ? original.slice(0, original.length - relative.length) : ''
}

function pathOf(url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

/** True once something read the request stream (body-parser sets `_body`). */
export function isBodyConsumed(req: NodeRequest): boolean {
  return req._body === true || req.readableEnded
}
