import { type Cors, createCors } from '@groundwork/core/kit'

/**
 * CORS as GoTrue answers it: any origin by default, echoed with credentials; preflights get 204
 * with the requested headers allowed; responses expose the headers auth-js reads.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/api.go (rs/cors)
 */
export function authCors(setting: boolean | readonly string[]): Cors {
  return createCors({
    origins: setting,
    anyOrigin: 'echo',
    allowMethods: 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
    allowHeaders: 'authorization, apikey, content-type, x-client-info, x-supabase-api-version',
    exposeHeaders:
      'X-Total-Count, Link, X-Supabase-Api-Version, x-sb-error-code, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset',
    preflightStatus: 204,
  })
}
