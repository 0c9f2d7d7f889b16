import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto'

/**
 * Hex SHA-256 of a secret: what `auth.refresh_tokens`, `auth.one_time_tokens` and
 * `auth.flow_state` store instead of the secret. Tokens are 128+ random bits, so a fast hash is
 * enough (no offline guessing), and lookups stay one indexed equality.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** A URL-safe random token with `bytes` bytes of entropy (refresh tokens: 16 → 22 chars, like GoTrue's 12-char ones but longer). */
export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url')
}

/** A numeric one-time code of `length` digits (uniform, from the CSPRNG). */
export function randomOtp(length = 6): string {
  let code = ''
  for (let i = 0; i < length; i++) code += String(randomInt(10))
  return code
}

/**
 * Compares two strings in time independent of where they differ (both are hashed first so their
 * lengths match and nothing about the expected value leaks).
 */
export function safeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest()
  const right = createHash('sha256').update(b).digest()
  return timingSafeEqual(left, right)
}
