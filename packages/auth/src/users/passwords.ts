import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto'
import bcrypt from 'bcryptjs'
import { AuthError, weakPasswordError } from '../errors'

/**
 * scrypt parameters: OWASP's first recommendation (N=2^17, r=8, p=1, 128 MiB), 32-byte key,
 * 16-byte salt.
 *
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#scrypt
 */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number
  r: number
  p: number
}

/** The default cost: N=2^17, r=8, p=1. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 17, r: 8, p: 1 }

const KEY_LENGTH = 32

function scrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(
      password.normalize('NFKC'),
      salt,
      KEY_LENGTH,
      // maxmem must cover 128·N·r bytes plus a margin, else Node refuses.
      { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    )
  })
}

function b64(buffer: Buffer): string {
  return buffer.toString('base64').replace(/=+$/, '')
}

/**
 * Hashes a password into a PHC string: `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` (base64 without
 * padding, as the PHC string format specifies).
 *
 * @see https://github.com/P-H-C/phc-string-format/blob/master/phc-sf-spec.md
 */
export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<string> {
  const salt = randomBytes(16)
  const key = await scrypt(password, salt, params)
  return `$scrypt$ln=${Math.log2(params.N)},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`
}

/** The result of {@link verifyPassword}. */
export interface PasswordCheck {
  valid: boolean
  /** The stored hash is bcrypt or a weaker scrypt cost: store a fresh {@link hashPassword} result. */
  needsRehash: boolean
}

const PHC = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/
const BCRYPT = /^\$2[aby]\$\d{2}\$/

/**
 * Verifies a password against a stored hash: our scrypt PHC strings, or bcrypt (`$2a$`/`$2b$`/`$2y$`)
 * as Supabase's `auth.users.encrypted_password` holds them, so an exported user base signs in
 * unchanged and is rehashed with scrypt on its first sign-in. Unknown formats never match.
 */
export async function verifyPassword(
  password: string,
  stored: string | null | undefined,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<PasswordCheck> {
  if (!stored) return { valid: false, needsRehash: false }
  const phc = PHC.exec(stored)
  if (phc) {
    const [, ln, r, p, salt, hash] = phc
    const current = { N: 2 ** Number(ln), r: Number(r), p: Number(p) }
    const expected = Buffer.from(hash as string, 'base64')
    const actual = await scrypt(password, Buffer.from(salt as string, 'base64'), current)
    const valid = expected.length === actual.length && timingSafeEqual(expected, actual)
    const weaker = current.N < params.N || current.r < params.r || current.p < params.p
    return { valid, needsRehash: valid && weaker }
  }
  if (BCRYPT.test(stored)) {
    // bcryptjs compares in constant time; it reads only the first 72 bytes, like GoTrue's bcrypt.
    const valid = await bcrypt.compare(password, stored)
    return { valid, needsRehash: valid }
  }
  return { valid: false, needsRehash: false }
}

/** A password every comparison runs against when the account does not exist (same timing either way). */
let dummyHash: Promise<string> | undefined

/** Burns one verification's worth of time, so "no such user" and "wrong password" take as long. */
export async function verifyDummyPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<void> {
  dummyHash ??= hashPassword('groundwork-dummy-password', params)
  await verifyPassword(password, await dummyHash, params)
}

/**
 * Checks GoTrue's password policy: at least `minLength` characters and one character of each of
 * `requiredCharacters`; else 422 `weak_password` with `reasons` (`length`, `characters`).
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/password.go
 */
export function checkPasswordPolicy(
  password: string,
  policy: { minLength: number; maxLength?: number; requiredCharacters: string[] },
): void {
  // GoTrue's cap (bcrypt reads 72 bytes); kept so passwords stay portable both ways and a
  // megabyte "password" is refused before hashing.
  const maxLength = policy.maxLength ?? 72
  if (Buffer.byteLength(password) > maxLength) {
    throw new AuthError('validation_failed', `Password cannot be longer than ${maxLength} characters`, {
      status: 400,
    })
  }
  const reasons: string[] = []
  const messages: string[] = []
  if ([...password].length < policy.minLength) {
    reasons.push('length')
    messages.push(`Password should be at least ${policy.minLength} characters.`)
  }
  const missing = policy.requiredCharacters.filter((set) => ![...password].some((char) => set.includes(char)))
  if (missing.length > 0) {
    reasons.push('characters')
    messages.push(
      `Password should contain at least one character of each: ${policy.requiredCharacters.join(', ')}.`,
    )
  }
  if (reasons.length > 0) throw weakPasswordError(messages.join(' '), reasons)
}

/** A password that passes but no longer meets the policy, as GoTrue reports it on sign-in. */
export interface WeakPassword {
  message: string
  reasons: string[]
}

/** Password hashing and policy, bound to the configured cost and policy. */
export interface PasswordService {
  hash(password: string): Promise<string>
  verify(password: string, stored: string | null | undefined): Promise<PasswordCheck>
  /** Spends a verification's time when there is no account (anti-enumeration by timing). */
  verifyDummy(password: string): Promise<void>
  /** Throws 422 `weak_password` with reasons (or 400 `validation_failed` past the length cap). */
  checkPolicy(password: string): void
  /**
   * GoTrue answers a successful sign-in whose password no longer meets the policy with
   * `weak_password: { message, reasons }` next to the session, so the app can ask for a new one.
   * Null when the policy is met (or only the length cap is exceeded: not a "reason" GoTrue reports).
   */
  weakness(password: string): WeakPassword | null
}

/** Builds the {@link PasswordService} for the configured scrypt cost and policy. */
export function createPasswordService(
  scrypt: ScryptParams,
  policy: { minLength: number; maxLength?: number; requiredCharacters: string[] },
): PasswordService {
  const service: PasswordService = {
    hash: (password) => hashPassword(password, scrypt),
    verify: (password, stored) => verifyPassword(password, stored, scrypt),
    verifyDummy: (password) => verifyDummyPassword(password, scrypt),
    checkPolicy: (password) => checkPasswordPolicy(password, policy),
    weakness(password) {
      try {
        service.checkPolicy(password)
        return null
      } catch (error) {
        if (!(error instanceof AuthError) || error.errorCode !== 'weak_password') return null
        const reasons = (error.extra?.weak_password as { reasons?: string[] } | undefined)?.reasons ?? []
        return { message: error.message, reasons }
      }
    },
  }
  return service
}
