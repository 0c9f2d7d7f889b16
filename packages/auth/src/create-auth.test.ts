import type { GroundworkService } from '@groundwork/core'
import { ConfigError } from '@groundwork/core'
import { parseOptions } from '@groundwork/core/kit'
import { describe, expect, expectTypeOf, it } from 'vitest'
import type { AuthApi } from './api/index'
import { type Auth, createAuth } from './create-auth'
import { authOptionsSchema } from './options-schema'

// Neither option validation nor createAuth touches the database: anything shaped like a core
// Database passes the check.
const db = {
  pool: {},
  roles: { anon: 'anon', authenticated: 'authenticated', serviceRole: 'service_role' },
  withClaims: async () => {},
  transaction: async () => {},
  query: async () => ({ rows: [] }),
} as never
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
    expect(options.maxBodyBytes).toBe(64 * 1024)
    expect(options.maxJsonDepth).toBe(128)
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
    [{ db, jwt: { secret: SECRET }, maxBodyBytes: 0 }, 'createAuth.maxBodyBytes'],
    [{ db, jwt: { secret: SECRET }, maxJsonDepth: 1.5 }, 'createAuth.maxJsonDepth'],
    [{ db, jwt: { secret: SECRET }, mail: { deliver() {} } }, 'createAuth.mail'],
    [
      { db, jwt: { secret: SECRET }, rateLimits: { signIn: { max: 0, windowSeconds: 60 } } },
      'createAuth.rateLimits.signIn.max',
    ],
    [
      {
        db,
        jwt: { secret: SECRET },
        additionalRedirectUrls: ['https://ok.example/*', 'https://**.example.com/'],
      },
      'createAuth.additionalRedirectUrls.1',
    ],
    [
      { db, jwt: { secret: SECRET }, additionalRedirectUrls: ['javascript:alert(1)'] },
      'createAuth.additionalRedirectUrls.0',
    ],
    [{ db, jwt: { secret: SECRET }, allowedRoles: ['editor', 'postgres'] }, 'createAuth.allowedRoles.1'],
    [{ db, jwt: { secret: SECRET }, allowedRoles: ['anon'] }, 'createAuth.allowedRoles.0'],
    [{ db, jwt: { secret: SECRET }, uniformResponseMs: -1 }, 'createAuth.uniformResponseMs'],
  ])('names the bad field: %j → %s', (input, field) => {
    expect(fieldOf(input)).toBe(field)
  })
})

describe('createAuth service', () => {
  it('returns a GroundworkService whose api is AuthApi (types only)', () => {
    expectTypeOf<Auth>().toExtend<GroundworkService<AuthApi>>()
    expectTypeOf(createAuth).returns.toExtend<GroundworkService<AuthApi>>()
    expectTypeOf<Auth['name']>().toEqualTypeOf<'auth'>()
    // The stringly in-process HTTP call is gone: every operation is a typed method.
    expectTypeOf<AuthApi>().not.toHaveProperty('call')
    expectTypeOf<AuthApi['signInWithPassword']>().returns.resolves.toHaveProperty('session')
  })

  it('has nothing to start or stop, and names its cleanup task', async () => {
    const auth = createAuth({ db, jwt: { secret: SECRET } })
    expect(auth.name).toBe('auth')
    await expect(auth.start()).resolves.toBeUndefined()
    await expect(auth.close()).resolves.toBeUndefined()
    expect(auth.tasks.map((task) => task.name)).toEqual(['auth:cleanup'])
  })
})
