import type { ServerResponse } from 'node:http'
import type { RequestOptions } from '@remix-run/node-fetch-server'
import type { OnError } from '../../errors'
import { errorResponse, isAbortFallout, safe } from './error-response'
import { type NodeRequest, requestFromNode } from './node-request'
import type { FetchHandler } from './types'
import { writeNodeResponse } from './write-response'

export interface ServeNodeOptions extends RequestOptions {
  basePath: string
  onError?: OnError | undefined
  /** The client address as the framework resolved it (Fastify's `request.ip`). */
  clientAddress?: string | undefined
}

/**
 * Runs `handler` for one Node request/response pair: builds the Fetch request, awaits the
 * response and streams it out. Never rejects: handler errors become an error response (or, once
 * the headers are out, a destroyed connection), and a client that went away ends the exchange.
 */
export async function serveNode(
  handler: FetchHandler,
  req: NodeRequest,
  res: ServerResponse,
  { onError, ...options }: ServeNodeOptions,
): Promise<void> {
  try {
    await exchange(handler, req, res, onError, options)
  } catch (error) {
    // Only reachable if writing the error response itself failed: cut the connection.
    safe(onError)?.(error)
    res.destroy()
  }
}

async function exchange(
  handler: FetchHandler,
  req: NodeRequest,
  res: ServerResponse,
  onError: OnError | undefined,
  options: Omit<ServeNodeOptions, 'onError'>,
): Promise<void> {
  let request: Request | undefined
  let response: Response
  try {
    request = requestFromNode(req, res, options)
  } catch {
    // No valid URL can be built (a malformed Host header or request target): the client's fault.
    return writeNodeResponse(res, badRequest())
  }
  try {
    response = await handler(request)
  } catch (error) {
    if (isAbortFallout(request, error)) return
    response = errorResponse(error, onError, request)
  }
  if (res.destroyed || res.writableEnded) {
    await response.body?.cancel().catch(() => {})
    return
  }
  try {
    await writeNodeResponse(res, response)
  } catch (error) {
    if (isAbortFallout(request, error) || res.destroyed) return
    if (!res.headersSent) return writeNodeResponse(res, errorResponse(error, onError, request))
    // Mid-stream failure: the status is already sent, so the only honest signal is a cut
    // connection (a chunked response then never gets its terminating chunk).
    safe(onError)?.(error, request)
    res.destroy()
  }
}

function badRequest(): Response {
  return Response.json(
    { code: 'CORE_BAD_REQUEST', message: 'Malformed request URL or Host header' },
    { status: 400 },
  )
}
