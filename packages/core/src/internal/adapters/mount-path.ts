/**
 * The mount-relative URL contract: a Groundwork handler routes on `new URL(request.url).pathname`,
 * which is the path *below* the point where the host mounted it (`/user`, not `/auth/v1/user`) —
 * exactly what Express and Connect put in `req.url` inside `app.use('/auth/v1', …)`.
 * Adapters whose framework keeps the full path (Fastify, Next.js, plain node:http with a prefix)
 * strip the mount prefix here.
 */

/**
 * `path` (a pathname, optionally followed by `?search`) with `basePath` removed when it is a
 * whole-segment prefix; any other path is returned unchanged. The result always starts with `/`.
 *
 * @example stripBasePath('/auth/v1/user?x=1', '/auth/v1') // '/user?x=1'
 * @example stripBasePath('/auth/v1', '/auth/v1') // '/'
 * @example stripBasePath('/auth/v10/user', '/auth/v1') // '/auth/v10/user' (not a segment prefix)
 */
export function stripBasePath(path: string, basePath: string): string {
  if (basePath === '' || !path.startsWith(basePath)) return path
  const rest = path.slice(basePath.length)
  if (rest === '' || rest.startsWith('?')) return `/${rest}`
  return rest.startsWith('/') ? rest : path
}

/**
 * The same request with `basePath` stripped from its URL. `new Request(url, request)` keeps the
 * method, headers, signal and the (still unread, streaming) body.
 */
export function rebaseRequest(request: Request, basePath: string): Request {
  if (basePath === '') return request
  const url = new URL(request.url)
  const pathname = stripBasePath(url.pathname, basePath)
  if (pathname === url.pathname) return request
  url.pathname = pathname
  return new Request(url, request)
}
