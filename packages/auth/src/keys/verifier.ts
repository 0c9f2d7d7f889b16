import type { JwtClaims, Principal, PrincipalCheck, RateLimitState, RoleNames } from '@groundwork/core'
import type { Queryable } from '../db'
import { AuthError } from '../errors'
import type { Budget, KeyCache, KeyRecord } from './cache'
import { invalidApiKey } from './errors'
import { isApiKeyLike, keyMatches, parseApiKey } from './format'
import type { Leases } from './leases'
import type { UsageRecorder } from './usage'

/** The statement every request of a key runs in its own transaction (raises `PT401` once refused). */
export const ASSERT_API_KEY_SQL = 'select auth.assert_api_key($1::uuid)'

/** What auth's own routes learn about the keys a request presents. */
export interface AuthRequestKeys {
  /** The key's principal when the request's credential is a key (`Bearer`, else `apikey`). */
  principal: Principal | null
  /** The budget the request spent, for the `RateLimit-*` headers. */
  rateLimit: RateLimitState | undefined
}

/** Verifies Groundwork API keys; see {@link createKeyVerifier}. */
export interface KeyVerifier {
  /**
   * The principal of a request that presents a key in `Authorization: Bearer` and/or `apikey`
   * (`bearer`/`apikey`: the raw credentials, `''` when absent). A key as the bearer is the
   * principal; a JWT as the bearer is (through `jwt`), and a key in `apikey` beside it must still
   * be valid, narrows it and spends its budget. No database round trip on a warm cache: validity
   * is checked by `checks` in the request's own transaction.
   */
  authenticate(
    request: Request,
    bearer: string,
    apikey: string,
    jwt: (token: string) => Promise<Principal>,
  ): Promise<Principal>
  /**
   * For auth's own endpoints, which run no `checks`: the keys a request presents, validated now
   * by a direct query, their budgets spent. `{ principal: null }` when it presents none.
   */
  forAuthRequest(request: Request, bearer: string): Promise<AuthRequestKeys>
}

/**
 * Whether a request comes from a browser: it carries `Origin` (every cross-origin `fetch` and
 * every non-GET same-origin one) or a browser `User-Agent`. Secret keys are refused from there,
 * as Supabase refuses `sb_secret_…` keys.
 *
 * @see https://supabase.com/docs/guides/api/api-keys#secret-keys
 */
export function fromBrowser(request: Request): boolean {
  return request.headers.has('origin') || (request.headers.get('user-agent') ?? '').startsWith('Mozilla/')
}

const intersect = (a: readonly string[] | undefined, b: readonly string[] | undefined) =>
  a === undefined ? b : b === undefined ? a : a.filter((item) => b.includes(item))

/** Builds the {@link KeyVerifier} of one auth instance. */
export function createKeyVerifier(deps: {
  db: Queryable
  roles: RoleNames
  /** The `aud` claim of app keys (the users' audience). */
  audience: string
  cache: KeyCache
  leases: Leases
  usage: UsageRecorder
}): KeyVerifier {
  const { db, roles, audience, cache, leases, usage } = deps

  /** The key a credential is, when it matches and is not known to be refused (no I/O on a warm cache). */
  async function resolve(credential: string, request: Request): Promise<KeyRecord> {
    const parsed = parseApiKey(credential)
    if (!parsed) throw invalidApiKey()
    const record = await cache.get(parsed.prefix)
    if (!record || !keyMatches(credential, record.hash)) throw invalidApiKey()
    if (record.revoked) throw invalidApiKey('API key revoked')
    if (record.expiresAt !== null && record.expiresAt <= Date.now()) throw invalidApiKey('API key expired')
    if (record.type === 'secret' && fromBrowser(request)) {
      throw new AuthError('secret_key_in_browser', 'Forbidden use of secret API key in browser', {
        status: 401,
        headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      })
    }
    return record
  }

  function check(record: KeyRecord): PrincipalCheck {
    return { text: ASSERT_API_KEY_SQL, values: [record.id] }
  }

  function keyPrincipal(record: KeyRecord): Principal {
    const role =
      record.type === 'publishable'
        ? roles.anon
        : record.type === 'secret'
          ? roles.service
          : roles.authenticated
    const claims: JwtClaims = { role, key_id: record.id }
    if (record.userId) {
      claims.sub = record.userId
      claims.aud = audience
    }
    if (record.appId) claims.app_id = record.appId
    if (record.scopes) claims.scopes = [...record.scopes]
    // Realtime ends a stream at `exp`; REST's optional principal cache never keeps it past it.
    if (record.expiresAt !== null) claims.exp = Math.floor(record.expiresAt / 1000)
    return {
      kind: 'api-key',
      role,
      claims,
      keyId: record.id,
      ...(record.appId ? { app: record.appId } : {}),
      ...(record.scopes ? { scopes: record.scopes } : {}),
      ...(record.allowedTables ? { allowedTables: record.allowedTables } : {}),
      checks: [check(record)],
    }
  }

  /** Narrows a principal by a further key it came with: only ever less, never more. */
  function narrow(principal: Principal, record: KeyRecord): Principal {
    const scopes = intersect(principal.scopes, record.scopes)
    const allowedTables = intersect(principal.allowedTables, record.allowedTables)
    return {
      ...principal,
      ...(scopes ? { scopes } : {}),
      ...(allowedTables ? { allowedTables } : {}),
      checks: [...(principal.checks ?? []), check(record)],
    }
  }

  /** Spends one request of every budget of the keys; the tightest state, for the headers. */
  async function spend(records: readonly KeyRecord[]): Promise<RateLimitState | undefined> {
    const budgets = new Map<string, Budget>()
    for (const record of records) for (const budget of record.budgets) budgets.set(budget.bucket, budget)
    let tightest: RateLimitState | undefined
    for (const budget of budgets.values()) {
      const state = await leases.spend(budget)
      if (!tightest || state.remaining < tightest.remaining) tightest = state
    }
    for (const record of records) usage.mark(record.id)
    return tightest
  }

  function presented(bearer: string, apikey: string): string[] {
    const keys = [bearer, apikey].filter((credential) => credential !== '' && isApiKeyLike(credential))
    return [...new Set(keys)]
  }

  return {
    async authenticate(request, bearer, apikey, jwt) {
      const credentials = presented(bearer, apikey)
      const records = await Promise.all(credentials.map((credential) => resolve(credential, request)))
      const own = bearer === '' || isApiKeyLike(bearer) ? records[0] : undefined
      let principal = own ? keyPrincipal(own) : await jwt(bearer)
      for (const record of records) if (record !== own) principal = narrow(principal, record)
      const rateLimit = await spend(records)
      return rateLimit ? { ...principal, rateLimit } : principal
    },
    async forAuthRequest(request, bearer) {
      const apikey = request.headers.get('apikey')?.trim() ?? ''
      const credentials = presented(bearer, apikey)
      if (credentials.length === 0) return { principal: null, rateLimit: undefined }
      const records = await Promise.all(credentials.map((credential) => resolve(credential, request)))
      const { rows } = await db.query<{ refusal: string | null }>(
        'select auth.api_key_refusal(id) as refusal from unnest($1::uuid[]) as k(id)',
        [records.map((record) => record.id)],
      )
      const refused = rows.find((row) => row.refusal !== null)
      if (refused?.refusal) throw invalidApiKey(refused.refusal)
      const own = bearer === '' || isApiKeyLike(bearer) ? records[0] : undefined
      const rateLimit = await spend(records)
      return { principal: own ? keyPrincipal(own) : null, rateLimit }
    },
  }
}
