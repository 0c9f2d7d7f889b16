import type { ResolvedRestOptions } from '../options'

const ALLOWED_HEADERS =
  'Authorization, Content-Type, Accept, Accept-Language, Content-Language, Accept-Profile, Content-Profile, Prefer, Range, apikey, x-client-info'
const EXPOSED_HEADERS =
  'Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, Transfer-Encoding, Range-Unit, Preference-Applied'

/**
 * CORS response headers, PostgREST-style: any origin by default (echoing it), or only the
 * configured ones. Returns `null` when CORS is off or the origin is not allowed.
 *
 * @see https://docs.postgrest.org/en/v12/references/configuration.html#server-cors-allowed-origins
 */
export function corsHeaders(
  options: ResolvedRestOptions,
  origin: string | null,
  preflight: boolean,
  requestHeaders: string | null = null,
): Record<string, string> | null {
  if (options.cors === false || !origin) return null
  const settings = options.cors === true ? {} : options.cors
  const origins = settings.origins ?? '*'
  if (origins !== '*' && !origins.includes(origin)) return null
  // Any origin: `*` without credentials (callers authenticate with bearer tokens, never cookies a
  // foreign page could ride on). A configured list: the matching origin echoed, with credentials.
  const headers: Record<string, string> =
    origins === '*'
      ? { 'Access-Control-Allow-Origin': '*' }
      : { 'Access-Control-Allow-Origin': origin, Vary: 'Origin', 'Access-Control-Allow-Credentials': 'true' }
  headers['Access-Control-Expose-Headers'] = [EXPOSED_HEADERS, ...(settings.exposeHeaders ?? [])].join(', ')
  if (preflight) {
    headers['Access-Control-Allow-Methods'] = 'GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD'
    headers['Access-Control-Allow-Headers'] = requestHeaders?.trim() ? requestHeaders : ALLOWED_HEADERS
    headers['Access-Control-Max-Age'] = '86400'
  }
  return headers
}
