import { ConfigError } from '@groundwork/core'
import { parseOptions } from '@groundwork/core/kit'
import { describe, expect, it } from 'vitest'
import { authOptionsSchema } from './options'

// Option validation needs no database: anything shaped like a core Database passes the check.
const db = { pool: {}, transaction: async () => {}, query: async () => ({ rows: [] }) }
const SECRET = 'x'.repeat(32)

function fieldOf(input: unknown): string {
  try {
    parseOptions(authOptionsSchema, input, 'createAuth')
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).field
  }
  throw new Error('expected a ConfigError')
}

describe('createAuth options', () => {
  it('applies GoTrue-like defaults', () => {
    const options = parseOptions(authOptionsSchema, { db, jwt: { secret: SECRET } })
    expect(options.jwt).toMatchObject({ expiresIn: 3600, audience: 'authenticated' })
    expect(options.refreshTokenReuseInterval).toBe(10)
    expect(options.passwordPolicy).toEqual({ minLength: 6, maxLength: 72, requiredCharacters: [] })
    expect(options.scrypt).toEqual({ N: 131072, r: 8, p: 1 })
    expect(options.rateLimits.signInPerEmail).toEqual({ max: 10, windowSeconds: 300 })
    expect(options.verifySessions).toBe(true)
    expect(options.cors).toBe(true)
  })

  it('merges partial rate limits with the defaults', () => {
    const options = parseOptions(authOptionsSchema, {
      db,
      jwt: { secret: SECRET },
      rateLimits: { signUp: false },
    })
    expect(options.rateLimits.signUp).toBe(false)
    expect(options.rateLimits.signIn).toEqual({ max: 30, windowSeconds: 300 })
  })

  it.each([
    [{ db, jwt: { secret: 'short' } }, 'createAuth.jwt.secret'],
    [{ db, jwt: {} }, 'createAuth.jwt.secret'],
    [{ db: {}, jwt: { secret: SECRET } }, 'createAuth.db'],
    [{ db, jwt: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }] } }, 'createAuth.jwt.keys.0.d'],
    [{ db, jwt: { keys: [{ kty: 'EC', crv: 'P-384', x: 'a', y: 'b', d: 'c' }] } }, 'createAuth.jwt.keys.0'],
    [{ db, jwt: { keys: [{ kty: 'RSA', alg: 'ES256', n: 'a', e: 'b', d: 'c' }] } }, 'createAuth.jwt.keys.0'],
    [{ db, jwt: { secret: SECRET }, scrypt: { N: 1000 } }, 'createAuth.scrypt.N'],
    [{ db, jwt: { secret: SECRET }, siteUrl: 'not a url' }, 'createAuth.siteUrl'],
    [{ db, jwt: { secret: SECRET }, basePath: '/auth/v1/' }, 'createAuth.basePath'],
    [
      { db, jwt: { secret: SECRET }, rateLimits: { signIn: { max: 0, windowSeconds: 60 } } },
      'createAuth.rateLimits.signIn.max',
    ],
  ])('names the bad field: %j → %s', (input, field) => {
    expect(fieldOf(input)).toBe(field)
  })
})
