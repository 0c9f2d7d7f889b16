import { createJwtAuthenticator } from '@groundwork/core'
import { exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SigningJwk } from '../src/index'
import { type CoreStack, createCoreStack } from './core-support'

let stack: CoreStack

beforeAll(async () => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk = { ...(await exportJWK(privateKey)), kid: 'es-1', alg: 'ES256' } as SigningJwk
  stack = await createCoreStack({ jwt: { keys: [jwk] } })
})
afterAll(async () => {
  await stack.close()
})

describe('asymmetric signing keys', () => {
  it('signs ES256 access tokens, publishes the public key at /.well-known/jwks.json, and core verifies with it', async () => {
    const client = stack.client()
    const { data, error } = await client.signUp({ email: 'es@example.com', password: 'correct horse' })
    expect(error).toBeNull()
    const token = data.session?.access_token as string
    const header = JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString())
    expect(header).toMatchObject({ alg: 'ES256', kid: 'es-1', typ: 'JWT' })

    const response = await stack.request('GET', '/.well-known/jwks.json')
    expect(response.status).toBe(200)
    const jwks = (await response.json()) as { keys: Record<string, unknown>[] }
    expect(jwks.keys).toHaveLength(1)
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', kid: 'es-1', alg: 'ES256', use: 'sig' })
    expect(jwks.keys[0]).not.toHaveProperty('d')

    const authenticate = createJwtAuthenticator({ jwks: jwks as never, audience: 'authenticated' })
    const principal = await authenticate(
      new Request('http://rest.test/', { headers: { authorization: `Bearer ${token}` } }),
    )
    expect(principal).toMatchObject({ kind: 'jwt', role: 'authenticated', claims: { sub: data.user?.id } })
    // auth-js verifies asymmetric tokens itself against the JWKS endpoint.
    const claims = await client.getClaims()
    expect(claims.error).toBeNull()
    expect(claims.data?.claims.sub).toBe(data.user?.id)
    expect((await client.getUser()).data.user?.email).toBe('es@example.com')
  })
})
