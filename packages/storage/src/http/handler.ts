import type { Authenticate, OnError, Principal } from '@groundwork/core'
import { type BodyLimits, errorResponse, relativePath } from '@groundwork/core/kit'
import type { StorageApi } from '../api'
import { storageErrorFormat } from '../error-format'
import { bucketRoutes } from './bucket-routes'
import { authenticateRequest, type HttpSettings, type RouteHandler } from './context'
import { objectRoutes } from './object-routes'
import { createStorageRouter } from './routes'
import { tusRoutes } from './tus-routes'

/** Settings of {@link createStorageHandler}. */
export interface StorageHandlerSettings {
  api: StorageApi
  authenticate: Authenticate
  /** Stripped from the request path (at a segment boundary) before routing. */
  basePath: string
  limits: BodyLimits
  onError?: OnError | undefined
}

/**
 * The storage HTTP handler (Web `Request` → `Response`), Supabase Storage's API relative to where
 * it is mounted (`/storage/v1` in the demo): `/bucket…`, `/object…`, `/render/image…`, and tus at
 * `/upload/resumable`. A thin layer over `storage.api`: it authenticates the caller (only on routes
 * that act as one — public and signed URLs never ask), reads bodies (streamed to the backend for
 * uploads; JSON within `limits` otherwise) and renders errors as Supabase Storage does
 * (`{ statusCode, code, error, message }`). `HEAD` answers carry no body, errors included.
 */
export function createStorageHandler(
  settings: StorageHandlerSettings,
): (request: Request) => Promise<Response> {
  const http: HttpSettings = {
    api: settings.api,
    authenticate: settings.authenticate,
    limits: settings.limits,
    basePath: settings.basePath,
  }
  const router = createStorageRouter<RouteHandler>([
    ...bucketRoutes(http),
    ...tusRoutes(http),
    ...objectRoutes(http),
  ])
  return async (request) => {
    let response: Response
    try {
      const url = new URL(request.url)
      const { handler, params } = router.match(request.method, relativePath(url.pathname, settings.basePath))
      let principal: Promise<Principal> | null = null
      response = await handler({
        request,
        url,
        params,
        principal: () => {
          principal ??= authenticateRequest(settings.authenticate, request)
          return principal
        },
      })
    } catch (error) {
      response = errorResponse(error, storageErrorFormat, settings.onError, request)
      // An unread upload body: tell the client we are not reading the rest.
      if (request.body && !request.bodyUsed && request.method !== 'GET' && request.method !== 'HEAD') {
        response.headers.set('connection', 'close')
      }
    }
    if (request.method === 'HEAD' && response.body) return new Response(null, response)
    return response
  }
}
