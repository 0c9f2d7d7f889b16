/** The route pattern each request was served by (set by the kit's `serveRoutes`), for metrics labels. */
const routes = new WeakMap<Request, string>()

/** Records the route pattern `request` matched. */
export function setMatchedRoute(request: Request, route: string): void {
  routes.set(request, route)
}

/** The route pattern `request` matched, if a kit router served it. */
export function matchedRoute(request: Request): string | undefined {
  return routes.get(request)
}

/**
 * A bounded-cardinality route label for handlers that do not use the kit router: the first path
 * segment (a table for REST, an endpoint for auth), ids and long segments replaced.
 */
export function fallbackRoute(pathname: string): string {
  const first = pathname.split('/').find((segment) => segment !== '')
  if (first === undefined) return '/'
  if (/^[0-9]+$|^[0-9a-f-]{32,36}$/i.test(first) || first.length > 64) return '/:id'
  return `/${first.replace(/[^A-Za-z0-9_.-]/g, '_')}`
}
