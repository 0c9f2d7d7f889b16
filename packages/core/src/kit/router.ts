import { HttpError } from './errors'
import { decodeSegment } from './paths'
import { markUnmatched } from './unmatched'

/** The methods routes may declare. */
export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'

/** One route: a method, a path pattern with `:name` segments (`/admin/users/:id`), and its handler. */
export interface RouteDefinition<Handler> {
  readonly method: Method
  readonly path: string
  readonly handler: Handler
}

/** A matched route: its definition and the decoded `:name` parameters. */
export interface RouteMatch<Handler> {
  readonly route: RouteDefinition<Handler>
  readonly params: Record<string, string>
}

/** A table-driven router; see {@link createRouter}. */
export interface Router<Handler> {
  /**
   * The route for `method path` (a mount-relative path, still percent-encoded). Throws
   * `HTTP_NOT_FOUND` when no pattern matches and `HTTP_METHOD_NOT_ALLOWED` (with `Allow`) when
   * only other methods do. `HEAD` falls back to the `GET` route.
   */
  match(method: string, path: string): RouteMatch<Handler>
  /** The methods a path answers (for `Allow` and CORS preflights); empty when none. */
  allowed(path: string): Method[]
}

interface Compiled<Handler> {
  definition: RouteDefinition<Handler>
  /** Static segments as strings; parameters as `{ name }`. */
  segments: (string | { name: string })[]
}

function compile<Handler>(definition: RouteDefinition<Handler>): Compiled<Handler> {
  const segments = definition.path
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => (segment.startsWith(':') ? { name: segment.slice(1) } : segment))
  return { definition, segments }
}

function splitPath(path: string): string[] | null {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
  if (trimmed === '/' || trimmed === '') return []
  const parts = trimmed.slice(trimmed.startsWith('/') ? 1 : 0).split('/')
  // An empty segment (`//`) never matches a route.
  return parts.includes('') ? null : parts
}

/**
 * Creates a router over `routes`. Static segments match exactly (or after percent-decoding);
 * `:name` segments match one non-empty segment, decoded with {@link decodeSegment} (an encoded
 * `/` is refused). The first matching route wins, so list specific paths before patterns.
 *
 * @example
 * ```ts
 * const router = createRouter([
 *   { method: 'GET', path: '/jobs/:id', handler: getJob },
 *   { method: 'POST', path: '/jobs/:id/retry', handler: retryJob },
 * ])
 * const { route, params } = router.match(request.method, relativePath(url.pathname, basePath))
 * ```
 */
export function createRouter<Handler>(routes: readonly RouteDefinition<Handler>[]): Router<Handler> {
  const compiled = routes.map(compile)

  function candidates(path: string): { route: Compiled<Handler>; raw: string[] }[] {
    const parts = splitPath(path)
    if (parts === null) return []
    const found: { route: Compiled<Handler>; raw: string[] }[] = []
    for (const route of compiled) {
      if (route.segments.length !== parts.length) continue
      let ok = true
      for (let i = 0; i < parts.length; i++) {
        const pattern = route.segments[i] as string | { name: string }
        const part = parts[i] as string
        if (typeof pattern === 'string' && pattern !== part && pattern !== safeDecode(part)) {
          ok = false
          break
        }
      }
      if (ok) found.push({ route, raw: parts })
    }
    return found
  }

  return {
    match(method, path) {
      const upper = method.toUpperCase()
      const found = candidates(path)
      if (found.length === 0)
        throw markUnmatched(new HttpError('HTTP_NOT_FOUND', `No route for ${upper} ${path}`))
      const hit =
        found.find((c) => c.route.definition.method === upper) ??
        (upper === 'HEAD' ? found.find((c) => c.route.definition.method === 'GET') : undefined)
      if (!hit) {
        const allow = methodsOf(found.map((c) => c.route))
        throw new HttpError(
          'HTTP_METHOD_NOT_ALLOWED',
          `Method ${upper} not allowed; use ${allow.join(', ')}`,
          {
            details: { allow },
            headers: { Allow: allow.join(', ') },
          },
        )
      }
      const params: Record<string, string> = {}
      hit.route.segments.forEach((pattern, index) => {
        if (typeof pattern !== 'string') params[pattern.name] = decodeSegment(hit.raw[index] as string)
      })
      return { route: hit.route.definition, params }
    },
    allowed(path) {
      return methodsOf(candidates(path).map((c) => c.route))
    },
  }
}

function methodsOf<Handler>(routes: Compiled<Handler>[]): Method[] {
  const methods = new Set(routes.map((route) => route.definition.method))
  if (methods.has('GET')) methods.add('HEAD')
  return [...methods]
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment)
  } catch {
    return null
  }
}
