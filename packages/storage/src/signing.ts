import { createHmac, type KeyObject } from 'node:crypto'
import { isGroundworkError } from '@groundwork/core'
import { verifyHmacJwt } from '@groundwork/core/kit'
import { storageError } from './errors'

/** The claims of a signed download URL's token, as Supabase issues them. */
export interface SignedUrlClaims {
  /** `bucket/name`: the one object the token opens. */
  url: string
  /** The image transformation the URL renders (`width:100,height:100,resize:cover`), if any. */
  transformations?: string
}

/** The claims of a signed upload URL's token. */
export interface SignedUploadClaims {
  url: string
  /** The `sub` of whoever asked for the URL: the uploaded object's owner. */
  owner?: string
  upsert: boolean
}

/**
 * Signs an HS256 JWT (what Supabase's signed URLs carry), synchronously with node:crypto.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7519
 */
export function signToken(claims: object, key: KeyObject, expiresIn: number): string {
  const now = Math.floor(Date.now() / 1000)
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')
  const payload = Buffer.from(JSON.stringify({ ...claims, iat: now, exp: now + expiresIn })).toString(
    'base64url',
  )
  const signature = createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url')
  return `${header}.${payload}.${signature}`
}

/**
 * Verifies a signed-URL token and that it was issued for `url` (`bucket/name`): an expired token is
 * `ExpiredToken`, any other failure `InvalidSignature` / `InvalidJWT` (all 400, as Supabase).
 */
export function verifyToken(token: string | null, key: KeyObject, url: string): Record<string, unknown> {
  if (!token) throw storageError('STORAGE_MISSING_PARAMETER', 'Missing Required Parameter token')
  let payload: Record<string, unknown>
  try {
    payload = verifyHmacJwt(token, key, { algorithms: ['HS256'], clockTolerance: 0 }) as Record<
      string,
      unknown
    >
  } catch (error) {
    if (isGroundworkError(error) && error.code === 'CORE_JWT_EXPIRED') {
      throw storageError('STORAGE_EXPIRED_TOKEN', 'The provided token has expired.', { cause: error })
    }
    throw storageError('STORAGE_INVALID_JWT', 'Invalid JWT', { cause: error })
  }
  if (payload.url !== url) {
    throw storageError('STORAGE_INVALID_SIGNATURE', 'The url do not match the signature')
  }
  return payload
}
