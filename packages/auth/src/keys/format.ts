import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** The kinds of API key: `publishable` runs as anon, `secret` as the service role, `app` as its user. */
export type ApiKeyType = 'publishable' | 'secret' | 'app'

/** Every {@link ApiKeyType}, in display order. */
export const API_KEY_TYPES: readonly ApiKeyType[] = ['publishable', 'secret', 'app']

/** Length of the public id in a key (base62): the lookup key, shown in `prefix`. */
const ID_LENGTH = 8
/** Length of the secret part (base62): 32 × log2(62) ≈ 190.5 bits of randomness. */
const SECRET_LENGTH = 32
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const KEY_PATTERN = new RegExp(
  `^gw_(publishable|secret|app)_([0-9A-Za-z]{${ID_LENGTH}})[0-9A-Za-z]{${SECRET_LENGTH}}$`,
)

/** A key as it is presented: its type and public prefix (nothing about it is verified yet). */
export interface ParsedApiKey {
  readonly type: ApiKeyType
  /** `gw_<type>_<id>`: the lookup key and the display prefix. */
  readonly prefix: string
  /** The whole key. */
  readonly key: string
}

/** A newly generated key: the plaintext (shown once) and what is stored. */
export interface GeneratedApiKey extends ParsedApiKey {
  /** hex SHA-256 of the whole key: the only form of it stored. */
  readonly hash: string
}

/** `length` base62 characters, uniformly random (bytes ≥ 248 are rejected, so `% 62` has no bias). */
function base62(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62]
    }
  }
  return out
}

/**
 * A new key of `type`: `gw_<type>_<id><secret>`, all base62, so it is recognisable by its prefix
 * and can never be mistaken for a JWT (those start `eyJ`). The secret part carries ~190 random
 * bits, so SHA-256 (fast, unsalted) is the right hash: nothing can be guessed or brute-forced.
 */
export function generateApiKey(type: ApiKeyType): GeneratedApiKey {
  const prefix = `gw_${type}_${base62(ID_LENGTH)}`
  const key = `${prefix}${base62(SECRET_LENGTH)}`
  return { type, prefix, key, hash: hashApiKey(key) }
}

/** Whether a credential is meant as a Groundwork API key (then it must parse, or it is refused). */
export function isApiKeyLike(credential: string): boolean {
  return credential.startsWith('gw_')
}

/** The type and prefix of a well-formed key; null for anything else. */
export function parseApiKey(credential: string): ParsedApiKey | null {
  const match = KEY_PATTERN.exec(credential)
  if (!match) return null
  const type = match[1] as ApiKeyType
  return { type, prefix: `gw_${type}_${match[2]}`, key: credential }
}

/** hex SHA-256 of a key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

/** Whether `key` hashes to `storedHash`, compared in constant time. */
export function keyMatches(key: string, storedHash: string): boolean {
  const given = createHash('sha256').update(key).digest()
  const stored = Buffer.from(storedHash, 'hex')
  return stored.length === given.length && timingSafeEqual(given, stored)
}
