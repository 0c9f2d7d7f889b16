import { parseOptions } from './config'
import type { OnError } from './errors'
import { errorResponse, isAbortFallout, safe } from './internal/adapters/error-response'
import { rebaseRequest } from './internal/adapters/mount-path'
import { adapterOptionsSchema } from './internal/adapters/options'
import type { FetchHandler } from './internal/adapters/types'

export type { FetchHandler } from './internal/adapters/types'

/** Options of {@link toNextJsHandler}. */
export interface NextJsHandlerOptions {
  /**
   * The path of the route segment the handler is mounted under, stripped before the handler sees
   * the URL: for `app/auth/v1/[...path]/route.ts` use `'/auth/v1'`. A path that does not start
   * with it is passed through unchanged.
   * @default ''
   */
  basePath?: string
  /**
   * Called with every error the handler threw that is not a `GroundworkError` (the client gets a
   * generic 500).
   * @default undefined
   */
  onError?: OnError
}

/** An App Router route handler; Next.js passes a `NextRequest`, which is a `Request`. */
export type NextJsRouteHandler = (request: Request) => Promise<Response>

/** The exports of a `route.ts` file, one per HTTP method. */
export interface NextJsRouteHandlers {
  GET: NextJsRouteHandler
  POST: NextJsRouteHandler
  PUT: NextJsRouteHandler
  PATCH: NextJsRouteHandler
  DELETE: NextJsRouteHandler
  HEAD: NextJsRouteHandler
  OPTIONS: NextJsRouteHandler
}

/**
 * Route handlers for a Next.js App Router catch-all route (`app/<base>/[...path]/route.ts`) that
 * answer every method with a Groundwork handler.
 *
 * - The handler sees the URL relative to `basePath` (`/auth/v1/user` → `/user`), with the
 *   removed prefix in the `x-forwarded-prefix` header.
 * - Next.js itself streams the returned `Response` (Server-Sent Events arrive incrementally) and
 *   keeps every `Set-Cookie`; `request.signal` is the one Next.js aborts when the client leaves.
 * - A thrown `GroundworkError` is answered with its status as `{ code, message }`; anything else
 *   with a generic 500 and goes to `onError`. A response body that fails mid-stream is reported
 *   to `onError` too (Next.js then cuts the connection).
 *
 * - Next.js puts no size limit on route-handler bodies (`serverActions.bodySizeLimit` is for Server
 *   Actions only): each Groundwork handler enforces its own `maxBodyBytes` while streaming.
 *
 * Export `dynamic = 'force-dynamic'` next to the handlers so Next.js never caches a `GET`.
 *
 * @example
 * ```ts
 * // app/rest/v1/[...path]/route.ts
 * import { toNextJsHandler } from '@groundwork/core/next'
 * import { rest } from '@/lib/groundwork'
 *
 * export const dynamic = 'force-dynamic'
 * export const { GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS } = toNextJsHandler(rest.handler, {
 *   basePath: '/rest/v1',
 * })
 * ```
 * @see https://nextjs.org/docs/app/building-your-application/routing/route-handlers
 */
export function toNextJsHandler(
  handler: FetchHandler,
  options: NextJsHandlerOptions = {},
): NextJsRouteHandlers {
  const { basePath, onError } = parseOptions(adapterOptionsSchema, options, 'toNextJsHandler')
  const route: NextJsRouteHandler = async (request) => {
    let rebased: Request | undefined
    try {
      rebased = rebaseRequest(request, basePath)
      return reportStreamErrors(await handler(rebased), onError, rebased)
    } catch (error) {
      // The client left and the handler gave up because of it: nothing to report, nobody to answer.
      if (isAbortFallout(rebased ?? request, error)) return new Response(null, { status: 499 })
      return errorResponse(error, onError, rebased ?? request)
    }
  }
  return { GET: route, POST: route, PUT: route, PATCH: route, DELETE: route, HEAD: route, OPTIONS: route }
}

/**
 * With an `onError` hook, the response body is passed through a stream that reports a failure
 * in the middle of the body (Next.js would otherwise only log it) before propagating it.
 */
function reportStreamErrors(response: Response, onError: OnError | undefined, request: Request): Response {
  const report = safe(onError)
  if (report === undefined || response.body === null) return response
  const reader = response.body.getReader()
  let cancelled = false
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: ReadableStreamReadResult<Uint8Array>
      try {
        chunk = await reader.read()
      } catch (error) {
        if (!cancelled && !isAbortFallout(request, error)) report(error, request)
        if (!cancelled) controller.error(error)
        return
      }
      if (cancelled) return // Next cancelled this stream (client gone) while the read was pending.
      if (chunk.done) controller.close()
      else controller.enqueue(chunk.value)
    },
    cancel(reason) {
      cancelled = true
      return reader.cancel(reason)
    },
  })
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  })
}
