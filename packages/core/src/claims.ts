/**
 * JWT claims as PostgREST and Supabase expose them to SQL (`request.jwt.claims`).
 * `role` picks the Postgres role the transaction runs as; `sub` is what `auth.uid()` returns.
 *
 * @see https://docs.postgrest.org/en/v12/references/transactions.html#request-headers-cookies-and-jwt-claims
 */
export interface JwtClaims {
  role?: string
  sub?: string
  [claim: string]: unknown
}

/** Request context exposed to SQL alongside the claims (`request.method`, `request.path`, `request.headers`). */
export interface RequestContext {
  method?: string
  path?: string
  /** Lower-cased into `request.headers` JSON, as PostgREST does. */
  headers?: Headers | Record<string, string | string[] | undefined>
}

/**
 * One statement that sets every transaction-local setting PostgREST sets, so claims cost a single
 * round trip. `set_config(…, true)` is `SET LOCAL`: it ends with the transaction, so a pooled
 * connection never carries a previous request's role.
 *
 * @see https://docs.postgrest.org/en/v12/references/transactions.html
 */
export const SET_CLAIMS_SQL =
  "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), " +
  "set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $4, true), " +
  "set_config('request.method', $5, true), set_config('request.path', $6, true), " +
  "set_config('request.headers', $7, true), " +
  "set_config('statement_timeout', coalesce(nullif($8, ''), current_setting('statement_timeout')), true)"

/**
 * The parameters for `SET_CLAIMS_SQL`. `statementTimeout` is the role's `statement_timeout`
 * (`'3000'` ms, `'0'` for none); `''` keeps the connection's own.
 */
export function claimParameters(
  role: string,
  claims: JwtClaims | null,
  context: RequestContext = {},
  statementTimeout = '',
): string[] {
  const claimsJson = JSON.stringify(claims ?? { role })
  return [
    role,
    claimsJson,
    typeof claims?.sub === 'string' ? claims.sub : '',
    role,
    context.method ?? '',
    context.path ?? '',
    JSON.stringify(lowerCaseHeaders(context.headers)),
    statementTimeout,
  ]
}

function lowerCaseHeaders(headers: RequestContext['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  if (!headers) return out
  if (typeof (headers as Headers).forEach === 'function' && typeof (headers as Headers).get === 'function') {
    ;(headers as Headers).forEach((value, key) => {
      out[key.toLowerCase()] = value
    })
    return out
  }
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}
