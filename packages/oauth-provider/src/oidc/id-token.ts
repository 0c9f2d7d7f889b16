import { createHash } from 'node:crypto'
import type { User } from '@groundwork/auth'
import { SignJWT } from 'jose'
import { userClaims } from './claims'
import type { SigningKeys } from './keys'

/** What an id_token is minted from. */
export interface IdTokenInput {
  user: User
  clientId: string
  scopes: readonly string[]
  accessToken: string
  nonce?: string | null | undefined
  /** When the user authenticated (seconds since the epoch). */
  authTime?: number | null | undefined
  amr?: string[] | undefined
}

/**
 * Mints an id_token (OIDC Core §2): `iss`, `sub`, `aud` (the client), `exp`, `iat`, `auth_time`,
 * `nonce` when the request had one, `at_hash` (§3.1.3.6: the left half of the access token's
 * SHA-256, for RS256/ES256), `amr`, `azp`, and the standard claims of the granted scopes. Signed
 * with the provider's current key, `kid` in the header.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDToken
 */
export function createIdTokens(deps: { keys: SigningKeys; issuer: string; lifetime: number }) {
  return async function idToken(input: IdTokenInput): Promise<string> {
    const key = await deps.keys.current()
    const iat = Math.floor(Date.now() / 1000)
    const digest = createHash('sha256').update(input.accessToken).digest()
    const claims: Record<string, unknown> = {
      ...userClaims(input.user, input.scopes),
      azp: input.clientId,
      at_hash: digest.subarray(0, digest.length / 2).toString('base64url'),
    }
    if (input.nonce) claims.nonce = input.nonce
    if (input.authTime) claims.auth_time = input.authTime
    if (input.amr && input.amr.length > 0) claims.amr = input.amr
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setIssuer(deps.issuer)
      .setAudience(input.clientId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + deps.lifetime)
      .sign(key.privateKey)
  }
}
