import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** Hex SHA-256: how client secrets and codes are stored (256-bit random values need no slow hash). */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex')
}

/** A URL-safe random secret of `bytes` bytes. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}

/** Constant-time comparison of a presented secret with a stored hex SHA-256. */
export function secretMatches(presented: string, storedHash: string | null): boolean {
  const expected = Buffer.from(storedHash ?? '0'.repeat(64), 'hex')
  const actual = createHash('sha256').update(presented).digest()
  return expected.length === actual.length && timingSafeEqual(expected, actual) && storedHash !== null
}
