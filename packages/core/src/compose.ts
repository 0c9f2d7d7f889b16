import { isUnmatched } from './kit/unmatched'
import type { ServiceHandler } from './service'

/**
 * One handler over several mounted at the same place: each is tried in order, and a handler whose
 * router has no route for the path (its 404 carries the kit's "unmatched" mark) passes the request
 * on to the next. Any other answer — a 404 a route itself returned (`user not found`), a 405, an
 * error — is final. The last handler's answer is returned as it is, so a path no handler serves
 * gets the last handler's ordinary 404.
 *
 * Routers match on method and path before reading the body, so a handler that passes the request
 * on has not touched its body stream.
 *
 * @example
 * ```ts
 * // The OAuth provider's /oauth/* and well-known routes, then the GoTrue API, at one mount point.
 * app.use('/auth/v1', toNodeHandler(composeHandlers(oauth.handler, auth.handler)))
 * ```
 */
export function composeHandlers(...handlers: readonly ServiceHandler[]): ServiceHandler {
  if (handlers.length === 0) throw new TypeError('composeHandlers needs at least one handler')
  return async (request) => {
    let response: Response | undefined
    for (const handler of handlers) {
      response = await handler(request)
      if (!isUnmatched(response)) return response
    }
    return response as Response
  }
}
