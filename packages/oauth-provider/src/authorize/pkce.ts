import { createHash, timingSafeEqual } from 'node:crypto'

/** RFC 7636 §4.1: 43–128 unreserved characters. Also the shape of an S256 challenge's input. */
export const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/

/** RFC 7636 §4.2: an S256 challenge is 43 base64url characters; a plain one is a verifier. */
export function validChallenge(challenge: string, method: 'S256' | 'plain'): boolean {
  return method === 'S256' ? /^[A-Za-z0-9_-]{43}$/.test(challenge) : CODE_VERIFIER.test(challenge)
}

/**
 * RFC 7636 §4.6: `BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge` (or equality for
 * `plain`), compared in constant time.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.6
 */
export function verifierMatches(verifier: string, challenge: string, method: 'S256' | 'plain'): boolean {
  if (!CODE_VERIFIER.test(verifier)) return false
  const computed = method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier
  const a = Buffer.from(computed)
  const b = Buffer.from(challenge)
  return a.length === b.length && timingSafeEqual(a, b)
}
