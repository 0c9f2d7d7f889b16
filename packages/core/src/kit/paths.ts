import { HttpError } from './errors'

/**
 * The request path relative to where the handler is mounted: `basePath` is stripped only at a
 * segment boundary (`/admin` strips `/admin/jobs` to `/jobs`, never `/administrator` to
 * `/istrator`); a path that does not start with it is returned unchanged (adapters already strip
 * mount paths). The result starts with `/` and has no trailing slash (except `/` itself).
 */
export function relativePath(pathname: string, basePath = ''): string {
  let path = pathname
  if (basePath !== '' && basePath !== '/') {
    if (path === basePath) path = '/'
    else if (path.startsWith(`${basePath}/`)) path = path.slice(basePath.length)
  }
  if (!path.startsWith('/')) path = `/${path}`
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1)
  return path
}

/**
 * Percent-decodes one path segment. Malformed encoding, and an encoded `/` (`%2F`) — which would
 * let one segment smuggle in two — are 400 `HTTP_BAD_PATH`, never a 500 or a different route.
 */
export function decodeSegment(segment: string): string {
  let decoded: string
  try {
    decoded = decodeURIComponent(segment)
  } catch {
    throw new HttpError('HTTP_BAD_PATH', 'Malformed percent-encoding in the path')
  }
  if (decoded.includes('/')) {
    throw new HttpError('HTTP_BAD_PATH', 'An encoded "/" is not allowed in a path segment')
  }
  return decoded
}

/**
 * Reads a request header the handler parses itself, refusing values longer than `maxBytes`
 * (431), so no parser ever works on an unbounded string whatever the server in front allows.
 */
export function boundedHeader(headers: Headers, name: string, maxBytes = 8192): string | null {
  const value = headers.get(name)
  if (value !== null && value.length > maxBytes) {
    throw new HttpError('HTTP_HEADER_TOO_LARGE', `The ${name} header is longer than ${maxBytes} bytes`)
  }
  return value
}
