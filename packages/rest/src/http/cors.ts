import { type Cors, createCors } from '@groundwork/core/kit'
import type { ResolvedRestOptions } from '../options'

const ALLOWED_HEADERS =
  'Authorization, Content-Type, Accept, Accept-Language, Content-Language, Accept-Profile, Content-Profile, Prefer, Range, apikey, x-client-info'
const EXPOSED_HEADERS =
  'Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, Transfer-Encoding, Range-Unit, Preference-Applied, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After'

/**
 * CORS PostgREST-style: any origin by default (`*`, no credentials: callers authenticate with
 * bearer tokens, never cookies a foreign page could ride on), or only the configured ones (echoed,
 * with credentials); preflights answer 200.
 *
 * @see https://docs.postgrest.org/en/v14/references/configuration.html#server-cors-allowed-origins
 */
export function restCors(options: ResolvedRestOptions): Cors {
  const settings = options.cors === true || options.cors === false ? {} : options.cors
  const origins = options.cors === false ? false : (settings.origins ?? '*')
  return createCors({
    origins: origins === '*' ? true : origins,
    anyOrigin: 'wildcard',
    allowMethods: 'GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD',
    allowHeaders: ALLOWED_HEADERS,
    exposeHeaders: [EXPOSED_HEADERS, ...(settings.exposeHeaders ?? [])].join(', '),
    preflightStatus: 200,
  })
}
