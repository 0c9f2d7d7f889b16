import bcrypt from 'bcryptjs'
import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors'
import { checkPasswordPolicy, DEFAULT_SCRYPT_PARAMS, hashPassword, verifyPassword } from './passwords'

describe('scrypt PHC hashes', () => {
  it('uses OWASP parameters by default (N=2^17, r=8, p=1) with a random salt', async () => {
    const a = await hashPassword('hunter2 hunter2')
    const b = await hashPassword('hunter2 hunter2')
    expect(a).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
    expect(a).not.toBe(b)
    expect(await verifyPassword('hunter2 hunter2', a)).toEqual({ valid: true, needsRehash: false })
    expect(await verifyPassword('hunter2 hunter3', a)).toEqual({ valid: false, needsRehash: false })
  }, 60_000) // four 128 MiB scrypt runs: slow on a loaded CI machine

  it('asks for a rehash when the stored cost is below the configured one', async () => {
    const weak = await hashPassword('pw', { N: 2 ** 10, r: 8, p: 1 })
    expect(await verifyPassword('pw', weak, DEFAULT_SCRYPT_PARAMS)).toEqual({
      valid: true,
      needsRehash: true,
    })
    expect(await verifyPassword('nope', weak, DEFAULT_SCRYPT_PARAMS)).toEqual({
      valid: false,
      needsRehash: false,
    })
  })
})

describe('imported bcrypt hashes', () => {
  it.each(['$2a$', '$2b$', '$2y$'])('verifies %s hashes and asks for a rehash', async (prefix) => {
    const hash = prefix + bcrypt.hashSync('from supabase', 4).slice(4)
    expect(await verifyPassword('from supabase', hash)).toEqual({ valid: true, needsRehash: true })
    expect(await verifyPassword('from supabasE', hash)).toEqual({ valid: false, needsRehash: false })
  })

  it('never matches unknown formats or empty hashes', async () => {
    expect((await verifyPassword('x', 'plaintext-x')).valid).toBe(false)
    expect((await verifyPassword('', '')).valid).toBe(false)
    expect((await verifyPassword('x', null)).valid).toBe(false)
  })
})

describe('password policy', () => {
  const policy = { minLength: 8, requiredCharacters: ['0123456789', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'] }
  it('accepts a compliant password', () => {
    expect(() => checkPasswordPolicy('Abcdefg1', policy)).not.toThrow()
  })
  it('throws weak_password with every failing reason', () => {
    try {
      checkPasswordPolicy('abc', policy)
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(AuthError)
      expect((error as AuthError).errorCode).toBe('weak_password')
      expect((error as AuthError).status).toBe(422)
      expect((error as AuthError).extra).toEqual({ weak_password: { reasons: ['length', 'characters'] } })
    }
  })
  it('refuses more than 72 bytes with validation_failed, as GoTrue', () => {
    expect(() => checkPasswordPolicy('a'.repeat(72), { minLength: 6, requiredCharacters: [] })).not.toThrow()
    expect(() => checkPasswordPolicy('a'.repeat(73), { minLength: 6, requiredCharacters: [] })).toThrow(
      expect.objectContaining({ errorCode: 'validation_failed', status: 400 }),
    )
  })
  it('counts characters, not UTF-16 units', () => {
    expect(() => checkPasswordPolicy('🔑🔑🔑🔑🔑🔑', { minLength: 6, requiredCharacters: [] })).not.toThrow()
  })
})
