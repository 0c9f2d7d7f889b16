import { createHmac } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { signTestToken, TEST_JWT_SECRET } from '@groundwork/testing'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, createJwtAuthenticator, type GroundworkError } from '../src/index'

function requestWith(headers: Record<string, string>): Request {
  return new Request('http://localhost/rest/v1/todos', { headers })
}

async function rejection(promise: Promise<unknown>): Promise<GroundworkError> {
  try {
    await promise
  } catch (error) {
    return error as GroundworkError
  }
  throw new Error('expected the promise to reject')
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

async function keyPair(kid: string): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } }
}

function signEs256(privateKey: CryptoKey, kid: string, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey)
}

describe('createJwtAuthenticator with a shared secret', () => {
  const authenticate = createJwtAuthenticator({ secret: TEST_JWT_SECRET, audience: 'authenticated' })

  it('answers the anon role when no token is presented', async () => {
    const principal = await authenticate(requestWith({}))
    expect(principal).toEqual({ kind: 'anonymous', role: 'anon', claims: { role: 'anon' } })
  })

  it('refuses a token naming a role outside allowedRoles (postgres, none…) with 401', async () => {
    for (const role of ['postgres', 'none', 'pg_read_server_files', 'authenticator']) {
      const token = await signTestToken({ role }, { audience: 'authenticated' })
      const error = await rejection(authenticate(requestWith({ authorization: `Bearer ${token}` })))
      expect(error).toMatchObject({
        code: 'CORE_JWT_INVALID',
        status: 401,
        message: 'The JWT role is not allowed',
      })
    }
    const custom = createJwtAuthenticator({ secret: TEST_JWT_SECRET, allowedRoles: ['reporter'] })
    const token = await signTestToken({ role: 'reporter' })
    expect((await custom(requestWith({ authorization: `Bearer ${token}` }))).role).toBe('reporter')
  })

  it('verifies a bearer token and takes its role and claims', async () => {
    const token = await signTestToken({ role: 'authenticated', sub: 'u-1' }, { audience: 'authenticated' })
    const principal = await authenticate(requestWith({ authorization: `Bearer ${token}` }))
    expect(principal.kind).toBe('jwt')
    expect(principal.role).toBe('authenticated')
    expect(principal.claims.sub).toBe('u-1')
    expect(principal.token).toBe(token)
  })

  it('reads the apikey header when there is no Authorization header, and prefers Authorization', async () => {
    const anonKey = await signTestToken({ role: 'anon' }, { audience: 'authenticated' })
    const userToken = await signTestToken(
      { role: 'authenticated', sub: 'u-2' },
      { audience: 'authenticated' },
    )
    expect((await authenticate(requestWith({ apikey: anonKey }))).role).toBe('anon')
    const both = await authenticate(requestWith({ apikey: anonKey, authorization: `bearer ${userToken}` }))
    expect(both.claims.sub).toBe('u-2')
  })

  it('uses the anon role for a verified token without a role claim', async () => {
    const token = await new SignJWT({ sub: 'u-3', aud: 'authenticated' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET))
    const principal = await authenticate(requestWith({ authorization: `Bearer ${token}` }))
    expect(principal.role).toBe('anon')
    expect(principal.claims.role).toBe('anon')
  })

  it('rejects a bad signature', async () => {
    const token = await signTestToken(
      { role: 'service_role' },
      { secret: 'another-secret-that-is-at-least-32-characters-long', audience: 'authenticated' },
    )
    const error = await rejection(authenticate(requestWith({ authorization: `Bearer ${token}` })))
    expect(error).toMatchObject({
      code: 'CORE_JWT_INVALID',
      status: 401,
      message: 'JWT signature is invalid',
    })
  })

  it('rejects an expired token', async () => {
    const token = await signTestToken(
      { role: 'authenticated' },
      { expiresIn: -10, audience: 'authenticated' },
    )
    const error = await rejection(authenticate(requestWith({ authorization: `Bearer ${token}` })))
    expect(error).toMatchObject({ code: 'CORE_JWT_EXPIRED', status: 401 })
  })

  it('rejects a token for another audience', async () => {
    const token = await signTestToken({ role: 'authenticated' }, { audience: 'someone-else' })
    const error = await rejection(authenticate(requestWith({ authorization: `Bearer ${token}` })))
    expect(error).toMatchObject({ code: 'CORE_JWT_CLAIM_INVALID', status: 401 })
    expect(error.message).toContain('"aud"')
  })

  it('rejects alg: none (an unsecured JWT)', async () => {
    const unsecured = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ role: 'service_role', aud: 'authenticated' })}.`
    const error = await rejection(authenticate(requestWith({ authorization: `Bearer ${unsecured}` })))
    expect(error).toMatchObject({ code: 'CORE_JWT_INVALID', status: 401 })
  })

  it('rejects garbage and a non-Bearer Authorization header without falling back to anon', async () => {
    expect(await rejection(authenticate(requestWith({ apikey: 'not-a-jwt' })))).toMatchObject({
      code: 'CORE_JWT_INVALID',
    })
    expect(await rejection(authenticate(requestWith({ authorization: 'Basic dXNlcjpwYXNz' })))).toMatchObject(
      {
        code: 'CORE_JWT_MALFORMED_HEADER',
        status: 401,
      },
    )
  })

  it('rejects a tampered payload, a crit header, a future nbf, a wrong issuer and accepts HS512', async () => {
    const secret = new TextEncoder().encode(TEST_JWT_SECRET)
    const token = await signTestToken({ role: 'authenticated', sub: 'u-1' }, { audience: 'authenticated' })
    const [header, , signature] = token.split('.')
    const forged = `${header}.${base64url({ role: 'service_role', aud: 'authenticated' })}.${signature}`
    expect(await rejection(authenticate(requestWith({ authorization: `Bearer ${forged}` })))).toMatchObject({
      code: 'CORE_JWT_INVALID',
      message: 'JWT signature is invalid',
    })

    // jose will not sign an unknown critical header, so this one is signed by hand.
    const critInput = `${base64url({ alg: 'HS256', crit: ['x-custom'], 'x-custom': 1 })}.${base64url({ role: 'authenticated', aud: 'authenticated' })}`
    const withCrit = `${critInput}.${createHmac('sha256', secret).update(critInput).digest('base64url')}`
    expect(await rejection(authenticate(requestWith({ authorization: `Bearer ${withCrit}` })))).toMatchObject(
      {
        code: 'CORE_JWT_INVALID',
      },
    )

    const notYet = await new SignJWT({ role: 'authenticated', aud: 'authenticated' })
      .setProtectedHeader({ alg: 'HS256' })
      .setNotBefore('1h')
      .sign(secret)
    expect(await rejection(authenticate(requestWith({ authorization: `Bearer ${notYet}` })))).toMatchObject({
      code: 'CORE_JWT_CLAIM_INVALID',
    })

    const strictIssuer = createJwtAuthenticator({ secret: TEST_JWT_SECRET, issuer: 'https://auth.example' })
    const wrongIssuer = await new SignJWT({ role: 'authenticated' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://evil.example')
      .sign(secret)
    expect(
      await rejection(strictIssuer(requestWith({ authorization: `Bearer ${wrongIssuer}` }))),
    ).toMatchObject({
      code: 'CORE_JWT_CLAIM_INVALID',
    })

    const hs512 = await new SignJWT({ role: 'authenticated', aud: 'authenticated', sub: 'u-512' })
      .setProtectedHeader({ alg: 'HS512' })
      .setExpirationTime('1m')
      .sign(secret)
    expect((await authenticate(requestWith({ authorization: `Bearer ${hs512}` }))).claims.sub).toBe('u-512')
  })

  it('refuses a short secret with a ConfigError naming the field', () => {
    expect(() => createJwtAuthenticator({ secret: 'short' })).toThrow(ConfigError)
    expect(() => createJwtAuthenticator({ secret: 'short' })).toThrow(/`jwt\.secret`/)
  })
})

describe('createJwtAuthenticator with a JWKS', () => {
  it('verifies ES256 tokens against a JWKS object and refuses an HMAC token (no algorithm confusion)', async () => {
    const { privateKey, jwk } = await keyPair('k1')
    const authenticate = createJwtAuthenticator({ jwks: { keys: [jwk as Record<string, unknown>] } })
    const token = await signEs256(privateKey, 'k1', { role: 'authenticated', sub: 'u-9' })
    expect((await authenticate(requestWith({ authorization: `Bearer ${token}` }))).claims.sub).toBe('u-9')

    const hmac = await signTestToken({ role: 'service_role' })
    expect(await rejection(authenticate(requestWith({ authorization: `Bearer ${hmac}` })))).toMatchObject({
      code: 'CORE_JWT_INVALID',
    })
  })

  describe('served from a URL', () => {
    let server: Server
    let url: string
    let served: JWK[] = []
    let fetches = 0
    let failing = false

    beforeAll(async () => {
      server = createServer((_req, res) => {
        fetches++
        if (failing) {
          res.writeHead(500).end()
          return
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served }))
      })
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`
    })

    afterAll(async () => {
      server.close()
      await once(server, 'close')
    })

    it('caches the key set and picks up a rotated key by its kid', async () => {
      const first = await keyPair('2026-11-a')
      const second = await keyPair('2026-11-b')
      served = [first.jwk]
      fetches = 0
      const authenticate = createJwtAuthenticator({ jwksUrl: url, cooldownDuration: 0 })

      const before = await signEs256(first.privateKey, '2026-11-a', { role: 'authenticated', sub: 'a' })
      await authenticate(requestWith({ authorization: `Bearer ${before}` }))
      await authenticate(requestWith({ authorization: `Bearer ${before}` }))
      expect(fetches).toBe(1)

      // Rotation: the issuer publishes the new key and retires the old one.
      served = [second.jwk]
      const after = await signEs256(second.privateKey, '2026-11-b', { role: 'authenticated', sub: 'b' })
      expect((await authenticate(requestWith({ authorization: `Bearer ${after}` }))).claims.sub).toBe('b')
      expect(fetches).toBe(2)

      const stale = await signEs256(first.privateKey, '2026-11-a', { role: 'authenticated', sub: 'a' })
      expect(await rejection(authenticate(requestWith({ authorization: `Bearer ${stale}` })))).toMatchObject({
        code: 'CORE_JWT_INVALID',
        status: 401,
      })
    })

    it('answers 503 CORE_JWKS_UNAVAILABLE when the key set cannot be fetched', async () => {
      const { privateKey } = await keyPair('k-down')
      failing = true
      try {
        const authenticate = createJwtAuthenticator({ jwksUrl: url })
        const token = await signEs256(privateKey, 'k-down', { role: 'authenticated' })
        expect(
          await rejection(authenticate(requestWith({ authorization: `Bearer ${token}` }))),
        ).toMatchObject({
          code: 'CORE_JWKS_UNAVAILABLE',
          status: 503,
        })
      } finally {
        failing = false
      }
    })
  })
})

describe('createJwtAuthenticator with roleClaimKey (PostgREST jwt-role-claim-key)', () => {
  it('takes the role from a nested claim and sets it as the claims role', async () => {
    const authenticate = createJwtAuthenticator({
      secret: TEST_JWT_SECRET,
      roleClaimKey: '.realm_access.roles[?(@ ^== "auth")]',
    })
    const token = await signTestToken({
      sub: 'kc-1',
      realm_access: { roles: ['offline_access', 'authenticated'] },
    } as unknown as { role: string })
    const principal = await authenticate(requestWith({ authorization: `Bearer ${token}` }))
    expect(principal.role).toBe('authenticated')
    expect(principal.claims.role).toBe('authenticated')
    expect(principal.claims.realm_access).toEqual({ roles: ['offline_access', 'authenticated'] })
  })

  it('falls back to the anon role when the path finds no role', async () => {
    const authenticate = createJwtAuthenticator({ secret: TEST_JWT_SECRET, roleClaimKey: '.app.role' })
    const token = await signTestToken({ role: 'service_role', app: {} })
    expect((await authenticate(requestWith({ authorization: `Bearer ${token}` }))).role).toBe('anon')
  })

  it('refuses a token whose role claim is not a string (401, never a downgrade to anon)', async () => {
    const authenticate = createJwtAuthenticator({ secret: TEST_JWT_SECRET, roleClaimKey: '.app.role' })
    const token = await signTestToken({ role: 'anon', app: { role: ['admin'] } })
    const error = await rejection(authenticate(requestWith({ authorization: `Bearer ${token}` })))
    expect(error).toMatchObject({ code: 'CORE_JWT_INVALID', status: 401 })
  })

  it('refuses a malformed expression with a ConfigError naming the field', () => {
    expect(() => createJwtAuthenticator({ secret: TEST_JWT_SECRET, roleClaimKey: 'role' })).toThrow(
      /jwt\.roleClaimKey/,
    )
  })

  it('names the bad field of each key source, and asks for exactly one source', () => {
    expect(() => createJwtAuthenticator({ jwks: { keys: [] } })).toThrow(/jwt\.jwks\.keys/)
    expect(() => createJwtAuthenticator({ jwksUrl: 'not a url' })).toThrow(/jwt\.jwksUrl/)
    expect(() => createJwtAuthenticator({} as never)).toThrow(/needs a key source/)
    expect(() => createJwtAuthenticator(undefined as never)).toThrow(ConfigError)
    expect(() =>
      createJwtAuthenticator({ secret: TEST_JWT_SECRET, jwksUrl: 'https://x.test/jwks' } as never),
    ).toThrow(/one key source/)
  })
})
