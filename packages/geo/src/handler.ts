import { createCors, relativePath } from '@groundwork/core/kit'
import { RestError } from '@groundwork/rest'
import type { GeoApi } from './create-geo'

/**
 * `GET /tiles/{schema}.{table}/{z}/{x}/{y}.mvt` (and `/tiles/{table}/…` for rest's default
 * schema): the Web-standard handler over {@link GeoApi.tile}. Errors are PostgREST's JSON.
 */
const TILE_PATH = /^\/tiles\/([^/]+)\/(\d{1,2})\/(\d{1,8})\/(\d{1,8})\.mvt$/

/** Settings of {@link createGeoHandler}. */
export interface GeoHandlerSettings {
  api: GeoApi
  basePath: string
  cors: boolean
  /** Receives errors answered with a generic 500. */
  onError?: ((error: unknown, request?: Request) => void) | undefined
}

function errorResponse(error: RestError): Response {
  return new Response(JSON.stringify(error.toJSON()), {
    status: error.status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...error.headers },
  })
}

/** The tile endpoint's handler. */
export function createGeoHandler(settings: GeoHandlerSettings): (request: Request) => Promise<Response> {
  const cors = createCors({
    origins: settings.cors,
    anyOrigin: 'wildcard',
    allowMethods: 'GET, HEAD, OPTIONS',
    allowHeaders: 'authorization, apikey, x-client-info, if-none-match',
    exposeHeaders: 'ETag, Content-Type, Cache-Control',
  })
  return async (request) => {
    const preflight = cors.preflight(request)
    if (preflight) return preflight
    let response: Response
    try {
      response = await serve(settings, request)
    } catch (error) {
      if (error instanceof RestError) response = errorResponse(error)
      else {
        settings.onError?.(error, request)
        response = errorResponse(new RestError('PGRSTX00', 'Internal server error', { status: 500 }))
      }
    }
    return cors.decorate(request, response)
  }
}

async function serve(settings: GeoHandlerSettings, request: Request): Promise<Response> {
  const url = new URL(request.url, 'http://localhost')
  const path = relativePath(url.pathname, settings.basePath)
  const match = TILE_PATH.exec(path)
  if (!match) throw new RestError('PGRST125', 'Invalid path specified in request URL', { status: 404 })
  const method = request.method.toUpperCase()
  if (method !== 'GET' && method !== 'HEAD') {
    throw new RestError('PGRST117', `Unsupported HTTP method: ${method}`, {
      status: 405,
      headers: { Allow: 'GET, HEAD, OPTIONS' },
    })
  }
  let layer: string
  try {
    layer = decodeURIComponent(match[1] as string)
  } catch {
    throw new RestError('PGRST125', 'Invalid path specified in request URL', { status: 404 })
  }
  const dot = layer.indexOf('.')
  const schema = dot > 0 ? layer.slice(0, dot) : undefined
  const table = dot > 0 ? layer.slice(dot + 1) : layer
  if (table === '' || layer.includes('\u0000')) {
    throw new RestError('PGRST125', 'Invalid path specified in request URL', { status: 404 })
  }
  const result = await settings.api.tile(
    {
      ...(schema !== undefined ? { schema } : {}),
      table,
      z: Number(match[2]),
      x: Number(match[3]),
      y: Number(match[4]),
      query: url.searchParams,
      headers: request.headers,
    },
    { ifNoneMatch: request.headers.get('if-none-match') },
  )
  const body = method === 'HEAD' || result.status === 204 || result.status === 304 ? null : result.body
  return new Response(body as BodyInit | null, { status: result.status, headers: result.headers })
}
