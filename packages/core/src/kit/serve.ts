import type { OnError } from '../errors'
import { setMatchedRoute } from '../observability/route'
import { type ErrorFormat, errorResponse, groundworkErrorFormat, json } from './error-format'
import { relativePath } from './paths'
import { createRouter, type RouteDefinition } from './router'

/** What a route handler of {@link serveRoutes} receives. */
export interface RouteInput<Context> {
  readonly request: Request
  readonly url: URL
  /** The mount-relative path (`basePath` stripped). */
  readonly path: string
  /** Decoded `:name` segments. */
  readonly params: Record<string, string>
  /** What `prepare` returned (e.g. the authorised principal). */
  readonly context: Context
}

/** A route of {@link serveRoutes}: a `Response`, or a value answered as JSON with `status` (200). */
export interface ServedRoute<Context>
  extends RouteDefinition<(input: RouteInput<Context>) => Promise<unknown>> {
  readonly status?: number
}

/** Options of {@link serveRoutes}. */
export interface ServeRoutesOptions<Context> {
  routes: readonly ServedRoute<Context>[]
  /** Stripped from the path at a segment boundary. @default '' */
  basePath?: string
  /** How errors are answered. @default groundworkErrorFormat */
  format?: ErrorFormat
  onError?: OnError | undefined
  /** Runs before routing (authorisation); its result is `input.context`. */
  prepare?: (request: Request, url: URL) => Promise<Context>
}

/**
 * A Web-standard handler over a route table: base-path stripping, routing (404 / 405 with
 * `Allow`), the route, and errors rendered in `format` (unknown ones as an opaque 500 reported
 * to `onError`). For the admin APIs of jobs, mail and realtime.
 */
export function serveRoutes<Context = undefined>(
  options: ServeRoutesOptions<Context>,
): (request: Request) => Promise<Response> {
  const router = createRouter(options.routes)
  const format = options.format ?? groundworkErrorFormat
  const byHandler = new Map(options.routes.map((route) => [route.handler, route]))
  return async (request) => {
    try {
      const url = new URL(request.url)
      const context = options.prepare ? await options.prepare(request, url) : (undefined as Context)
      const path = relativePath(url.pathname, options.basePath)
      const { route, params } = router.match(request.method, path)
      setMatchedRoute(request, route.path)
      const result = await route.handler({ request, url, path, params, context })
      if (result instanceof Response) return result
      const status = byHandler.get(route.handler)?.status ?? 200
      const response = json(result, status)
      return request.method === 'HEAD' ? new Response(null, response) : response
    } catch (error) {
      return errorResponse(error, format, options.onError, request)
    }
  }
}
