import { decodeSegment, HttpError, type Method } from '@groundwork/core/kit'

/**
 * A route table for Storage's paths, whose last part is an object name spanning several segments
 * (`/object/:bucket/*name`). The kit's router matches one segment per parameter; this adds a
 * trailing `*name` that takes the rest. Each segment is percent-decoded with the kit's
 * `decodeSegment` (malformed encoding and an encoded `/` are 400), so a name's `/` are the path's
 * own. Static routes are listed before patterns; the first match wins.
 */
export interface StorageRoute<Handler> {
  readonly method: Method
  readonly path: string
  readonly handler: Handler
}

export interface StorageRouteMatch<Handler> {
  readonly handler: Handler
  readonly params: Record<string, string>
}

type Part =
  | { kind: 'static'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'rest'; name: string }

export function createStorageRouter<Handler>(routes: readonly StorageRoute<Handler>[]) {
  const compiled = routes.map((route) => ({
    route,
    parts: route.path
      .split('/')
      .filter((s) => s !== '')
      .map(
        (s): Part =>
          s.startsWith(':')
            ? { kind: 'param', name: s.slice(1) }
            : s.startsWith('*')
              ? { kind: 'rest', name: s.slice(1) }
              : { kind: 'static', value: s },
      ),
  }))

  function matches(parts: Part[], segments: string[]): Record<string, string> | null {
    const params: Record<string, string> = {}
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as Part
      if (part.kind === 'rest') {
        if (segments.length <= i) return null
        params[part.name] = segments.slice(i).join('/')
        return params
      }
      const segment = segments[i]
      if (segment === undefined) return null
      if (part.kind === 'static') {
        if (segment !== part.value) return null
      } else {
        params[part.name] = segment
      }
    }
    return segments.length === parts.length ? params : null
  }

  return {
    /** The route for `method path` (a mount-relative, still percent-encoded path). */
    match(method: string, path: string): StorageRouteMatch<Handler> {
      const segments = path.split('/').slice(1)
      if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop()
      const decoded = segments.map(decodeSegment)
      const upper = method.toUpperCase()
      const allowed = new Set<string>()
      for (const { route, parts } of compiled) {
        const params = matches(parts, decoded)
        if (!params) continue
        if (route.method === upper) return { handler: route.handler, params }
        allowed.add(route.method)
      }
      if (allowed.size === 0)
        throw new HttpError('HTTP_NOT_FOUND', `Route ${upper}:${path.slice(0, 200)} not found`)
      const allow = [...allowed].join(', ')
      throw new HttpError('HTTP_METHOD_NOT_ALLOWED', `Method ${upper} not allowed; use ${allow}`, {
        headers: { Allow: allow },
      })
    },
  }
}
