import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'
import { verifyHmacJwt } from '@groundwork/core/kit'
import {
  type CryptoKey,
  decodeProtectedHeader,
  exportJWK,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose'
import { AuthError } from '../errors'
import type { ResolvedAuthOptions } from '../options'

/** One `amr` entry: how and when the session authenticated (RFC 8176 method names, as GoTrue). */
export interface AmrEntry {
  method: string
  timestamp: number
}

/**
 * The claims of a GoTrue access token.
 *
 * @see https://supabase.com/docs/guides/auth/jwt-fields
 */
export interface AccessTokenClaims extends JWTPayload {
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
  email: string
  phone: string
  app_metadata: Record<string, unknown>
  user_metadata: Record<string, unknown>
  role: string
  aal: string
  amr: AmrEntry[]
  session_id: string
  is_anonymous: boolean
  [claim: string]: unknown
}

/** Signs and verifies access tokens with the configured key(s); publishes the JWKS. */
export interface TokenSigner {
  readonly algorithm: 'HS256' | 'ES256' | 'RS256'
  /** Signs `claims`; `typ` is the JOSE header's (`JWT`, or `at+jwt` for OAuth access tokens, RFC 9068 §2.1). */
  sign(claims: JWTPayload, options?: { typ?: string }): Promise<string>
  /**
   * Verifies signature and `exp` (and `aud` unless `requireAudience: false`, for the service-role
   * key, which has none); throws 403 `bad_jwt` (GoTrue's answer) on failure.
   */
  verify(token: string, options?: { requireAudience?: boolean }): Promise<AccessTokenClaims>
  /** The public keys (`{ keys: [] }` for HS256, whose secret is never published). */
  jwks(): Promise<{ keys: JWK[] }>
}

/**
 * Builds the signer: ES256/RS256 with the first of `jwt.keys` when given (every key verifies, so
 * a rotated-out key's tokens stay valid until they expire), else HS256 with `jwt.secret`. A
 * `secret` next to `keys` still verifies HS256 tokens (the legacy anon/service-role keys), as
 * Supabase does during a migration to signing keys.
 *
 * @see https://supabase.com/docs/guides/auth/signing-keys
 */
export function createTokenSigner(jwt: ResolvedAuthOptions['jwt']): TokenSigner {
  const secret = jwt.secret ? new TextEncoder().encode(jwt.secret) : null
  // HS256 tokens (the default, and the legacy anon/service-role keys) are checked synchronously
  // with node:crypto, as core's authenticator does: jose's WebCrypto HMAC was most of a JWT-only
  // `authenticate` call's CPU.
  const secretKey = jwt.secret ? createSecretKey(Buffer.from(jwt.secret, 'utf8')) : null
  const jwks = jwt.keys ?? []
  const algorithmOf = (jwk: (typeof jwks)[number]): 'ES256' | 'RS256' =>
    jwk.alg ?? (jwk.kty === 'EC' ? 'ES256' : 'RS256')
  const imported = Promise.all(
    jwks.map(async (jwk, index) => {
      const alg = algorithmOf(jwk)
      const kid = jwk.kid ?? `key-${index + 1}`
      const privateKey = (await importJWK(jwk as JWK, alg)) as CryptoKey
      const {
        d: _d,
        p: _p,
        q: _q,
        dp: _dp,
        dq: _dq,
        qi: _qi,
        key_ops: _ops,
        ...publicJwk
      } = jwk as Record<string, unknown>
      const publicKey = (await importJWK({ ...publicJwk, alg } as JWK, alg, {
        extractable: true,
      })) as CryptoKey
      const published: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig', key_ops: ['verify'] }
      return { alg, kid, privateKey, publicKey, published }
    }),
  )
  // Keys were shape-checked by the options schema; a key that still fails to import surfaces on
  // first use (as a 500), not as an unhandled rejection at creation.
  imported.catch(() => {})
  const first = jwks[0]
  const algorithm = first ? algorithmOf(first) : 'HS256'
  return {
    algorithm,
    async sign(claims, signOptions = {}) {
      const typ = signOptions.typ ?? 'JWT'
      if (!first) return signHmac(claims, typ, secretKey as KeyObject)
      const [signing] = await imported
      if (!signing) throw new Error('unreachable: no signing key')
      return new SignJWT(claims)
        .setProtectedHeader({ alg: signing.alg, kid: signing.kid, typ })
        .sign(signing.privateKey)
    },
    async verify(token, options = {}) {
      const audience = options.requireAudience === false ? undefined : jwt.audience
      if (secretKey && (jwks.length === 0 || headerAlgorithm(token) === 'HS256')) {
        return verifyHmac(token, secretKey, audience)
      }
      const keys = await imported
      const algorithms = [...(secret ? ['HS256'] : []), ...(keys.length > 0 ? ['ES256', 'RS256'] : [])]
      return verifyWith(
        token,
        async (header: { alg?: string; kid?: string }) => {
          if (header.alg === 'HS256' && secret) return secret
          const match = header.kid ? keys.find((key) => key.kid === header.kid) : keys[0]
          if (!match)
            throw new AuthError(
              'bad_jwt',
              'invalid JWT: unable to parse or verify signature, unknown key id',
              { status: 403 },
            )
          return match.publicKey
        },
        algorithms,
        audience,
      )
    },
    async jwks() {
      return { keys: (await imported).map((key) => key.published) }
    },
  }
}

/**
 * An HS256 JWS signed synchronously with `node:crypto` (as tokens are verified): jose signs HMAC
 * through WebCrypto, asynchronous and several times slower — most of the CPU of issuing a token.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1
 */
function signHmac(claims: JWTPayload, typ: string, key: KeyObject): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const input = `${encode({ alg: 'HS256', typ })}.${encode(claims)}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}

/** The `alg` of a compact JWS header, or undefined when it does not parse (jose then rejects it). */
function headerAlgorithm(token: string): string | undefined {
  try {
    return decodeProtectedHeader(token).alg
  } catch {
    return undefined
  }
}

function verifyHmac(token: string, key: KeyObject, audience: string | undefined): AccessTokenClaims {
  try {
    return verifyHmacJwt(token, key, {
      algorithms: ['HS256'],
      clockTolerance: 0,
      ...(audience ? { audience } : {}),
    }) as AccessTokenClaims
  } catch (cause) {
    const code = (cause as { code?: string }).code
    const reason = code === 'CORE_JWT_EXPIRED' ? 'token is expired' : 'unable to parse or verify signature'
    throw new AuthError('bad_jwt', `invalid JWT: ${reason}`, { status: 403, cause })
  }
}

async function verifyWith(
  token: string,
  key: (header: { alg?: string; kid?: string }) => Promise<CryptoKey | Uint8Array>,
  algorithms: string[],
  audience: string | undefined,
): Promise<AccessTokenClaims> {
  try {
    const { payload } = await jwtVerify(token, key, { algorithms, ...(audience ? { audience } : {}) })
    return payload as AccessTokenClaims
  } catch (cause) {
    if (cause instanceof AuthError) throw cause
    const code = (cause as { code?: string }).code
    const reason = code === 'ERR_JWT_EXPIRED' ? 'token is expired' : 'unable to parse or verify signature'
    throw new AuthError('bad_jwt', `invalid JWT: ${reason}`, { status: 403, cause })
  }
}
