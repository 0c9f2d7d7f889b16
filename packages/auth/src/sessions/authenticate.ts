import type { Authenticate, Principal } from '@groundwork/core'
import { AuthError } from '../errors'
import { isApiKeyLike } from '../keys/format'
import type { KeyVerifier } from '../keys/verifier'
import { clientCredentialsPrincipal, isClientCredentialsToken } from '../oauth-grants/principal'
import type { ResolvedAuthOptions } from '../options'
import type { RolePolicy } from '../users/roles'
import { isUuid } from '../users/validation'
import type { TokenSigner } from './jwt'

/**
 * `auth.authenticate(request)` → core `Principal`, for REST, realtime and storage: reads
 * `Authorization: Bearer` (else the `apikey` header), verifies the JWT with auth's own keys, and
 * with `verifySessions` (the default) also checks in one query that the token's session still exists (not
 * logged out, not revoked by refresh-token reuse) and that its user is neither banned nor deleted.
 * No token → the anon role. A bad token, or one whose `role` is not a request role (anon,
 * authenticated, service role, `allowedRoles`) → 401 `AUTH_BAD_JWT` (REST answers it as
 * PostgREST's `PGRST301`/`PGRST303`).
 *
 * A Groundwork API key (`gw_…`) in either header goes to `keys` (src/keys/verifier.ts): a key
 * as the bearer (or alone in `apikey`) is the principal; beside a JWT bearer, a key in `apikey`
 * must be valid too, narrows the JWT's principal and spends its budget (429 when spent).
 */
export function createAuthenticate(
  options: ResolvedAuthOptions,
  signer: TokenSigner,
  policy: RolePolicy,
  keys: KeyVerifier,
): Authenticate {
  const roles = options.db.roles

  /** The principal of a JWT (a user's access token, or an anon/service-role key). */
  async function verifyToken(token: string): Promise<Principal> {
    let claims: Awaited<ReturnType<TokenSigner['verify']>>
    try {
      claims = await signer.verify(token, { requireAudience: false })
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : 'invalid JWT'
      throw new AuthError('bad_jwt', message, { status: 401, cause })
    }
    // As core's `createJwtAuthenticator` with `allowedRoles`: a role the request may not run as
    // (`postgres`, `none`, a non-string…) is refused here, whoever signed it.
    const claimed: unknown = claims.role
    const role = claimed === undefined || claimed === null || claimed === '' ? roles.anon : claimed
    if (typeof role !== 'string') {
      throw new AuthError('bad_jwt', 'invalid JWT: the role claim is not a string', { status: 401 })
    }
    if (!policy.isRequestRole(role)) {
      throw new AuthError('bad_jwt', 'invalid JWT: the role is not allowed', { status: 401 })
    }
    if (isClientCredentialsToken(claims)) return clientCredentialsPrincipal(options.db, role, claims, token)
    if (options.verifySessions && typeof claims.sub === 'string' && claims.sub !== '') {
      // GoTrue refuses such tokens the same way; checking here keeps the query below from failing
      // on the cast, so a database error is never mistaken for "no session" (and vice versa).
      if (!isUuid(claims.sub))
        throw new AuthError('bad_jwt', 'invalid claim: sub claim must be a UUID', { status: 401 })
      const sessionId =
        typeof claims.session_id === 'string' && claims.session_id !== '' ? claims.session_id : null
      if (sessionId !== null && !isUuid(sessionId))
        throw new AuthError('bad_jwt', 'invalid claim: session_id claim must be a UUID', { status: 401 })
      const { rows } = await options.db.query<{ ok: boolean }>(
        `select (u.deleted_at is null and (u.banned_until is null or u.banned_until <= now())
                 and ($2::uuid is null or exists (select 1 from auth.sessions s where s.id = $2::uuid and s.user_id = u.id
                      and (s.not_after is null or s.not_after > now())))) as ok
         from auth.users u where u.id = $1::uuid`,
        [claims.sub, sessionId],
      )
      if (!rows[0]?.ok)
        throw new AuthError('session_not_found', 'Session from session_id claim in JWT does not exist', {
          status: 401,
        })
    }
    return { kind: 'jwt', role, claims, token }
  }

  return async function authenticate(request: Request): Promise<Principal> {
    const header = request.headers.get('authorization')
    const bearer = header ? /^bearer\s+(.+)$/i.exec(header.trim())?.[1]?.trim() : undefined
    // A present Authorization header that is not `Bearer <token>` is an error (core's rule), never anon.
    if (header && !bearer)
      throw new AuthError('bad_jwt', 'Authorization header must be "Bearer <token>"', { status: 401 })
    const apikey = request.headers.get('apikey')?.trim() || ''
    if ((bearer && isApiKeyLike(bearer)) || isApiKeyLike(apikey)) {
      return keys.authenticate(request, bearer ?? '', apikey, verifyToken)
    }
    const token = bearer || apikey
    if (token === '') return { kind: 'anonymous', role: roles.anon, claims: { role: roles.anon } }
    return verifyToken(token)
  }
}
