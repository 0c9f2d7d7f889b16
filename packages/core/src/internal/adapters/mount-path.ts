/**
 * The mount-relative URL contract: a Groundwork handler routes on `new URL(request.url).pathname`,
 * which is the path *below* the point where the host mounted it (`/user`, not `/auth/v1/user`) —
 * exactly what Express and Connect put in `req.url` inside `app.use('/auth/v1', …)`.
 * Adapters whose framework keeps the full path (Fastify, Next.js, plain node:http with a prefix)
 * strip the mount prefix here, and pass it in `x-forwarded-prefix`.
 */

/** Header telling the handler the prefix it is mounted under (the path it does not see). */
export const PREFIX_HEADER = 'x-forwarded-prefix'

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
 * The same request with `basePath` stripped from its URL and passed in `x-forwarded-prefix`.
 * `new Request(url, request)` keeps the method, headers, signal and the (still unread,
 * streaming) body.
 */
export function rebaseRequest(request: Request, basePath: string): Request {
  if (basePath === '') return request
  const url = new URL(request.url)
  const pathname = stripBasePath(url.pathname, basePath)
  if (pathname === url.pathname) return request
  url.pathname = pathname
  const rebased = new Request(url, request)
  rebased.headers.set(PREFIX_HEADER, basePath)
  return rebased
}
