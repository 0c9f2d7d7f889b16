import { createHash, randomBytes } from 'node:crypto'
import { ConfigError, composeHandlers } from '@groundwork/core'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOAuthProvider } from '../src/index'
import { ISSUER, type ProviderStack, providerStack } from './support'

let stack: ProviderStack

beforeAll(async () => {
  stack = await providerStack({ clientCredentialsLifetime: 1 })
})
afterAll(async () => {
  await stack?.close()
})

const S256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url')
const VERIFIER = 'a'.repeat(43)

/** Runs the code flow in-process through `api` (as a script would); answers the token response. */
async function codeFlow(clientId: string, secret: string, userToken: string) {
  const { api } = stack.oauth
  const { location } = await api.authorize(
    new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: 'https://client.example/cb',
      code_challenge: S256(VERIFIER),
      code_challenge_method: 'S256',
      scope: 'openid email',
      nonce: 'n-1',
    }),
  )
  const id = new URL(location).searchParams.get('authorization_id') as string
  const { redirect_url } = await api.consent.decide(id, userToken, 'approve')
  const code = new URL(redirect_url).searchParams.get('code') as string
  const params = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    code_verifier: VERIFIER,
    client_id: clientId,
    client_secret: secret,
  })
  return api.token({ authorization: null, params })
}

describe('createOAuthProvider', () => {
  it('refuses bad options naming the field', () => {
    expect(() => createOAuthProvider({ db: stack.t.db, auth: stack.auth, issuer: 'not a url' })).toThrow(
      ConfigError,
    )
    expect(() =>
      createOAuthProvider({ db: stack.t.db, auth: stack.auth, issuer: ISSUER, codeLifetime: -1 }),
    ).toThrow(/codeLifetime/)
  })
})

describe('composeHandlers(oauth.handler, auth.handler)', () => {
  it('serves the provider’s routes and passes the rest to auth', async () => {
    const handler = composeHandlers(stack.oauth.handler, stack.auth.handler)
    const metadata = await handler(new Request('http://localhost/.well-known/oauth-authorization-server'))
    expect((await metadata.json()).issuer).toBe(ISSUER)
    const settings = await handler(new Request('http://localhost/settings'))
    expect(settings.status).toBe(200)
    expect(await settings.json()).toHaveProperty('external')
    const missing = await handler(new Request('http://localhost/nowhere'))
    expect(missing.status).toBe(404)
  })
})

describe('id_token keys', () => {
  it('rotates without downtime: the old key stays in the JWKS until retired', async () => {
    const client = await stack.oauth.api.clients.create({
      client_name: 'Keys',
      redirect_uris: ['https://client.example/cb'],
      token_endpoint_auth_method: 'client_secret_post',
    })
    const user = await stack.user('keys@example.com')
    const before = await codeFlow(client.client_id, client.client_secret as string, user.accessToken)
    const oldKid = decodeProtectedHeader(before.id_token as string).kid as string
    const { kid: newKid } = await stack.oauth.api.keys.rotate('ES256')
    const after = await codeFlow(client.client_id, client.client_secret as string, user.accessToken)
    expect(decodeProtectedHeader(after.id_token as string)).toMatchObject({ kid: newKid, alg: 'ES256' })
    const jwks = createLocalJWKSet(await stack.oauth.api.jwks())
    for (const token of [before.id_token, after.id_token]) {
      const { payload } = await jwtVerify(token as string, jwks, {
        issuer: ISSUER,
        audience: client.client_id,
      })
      expect(payload).toMatchObject({ nonce: 'n-1', email: 'keys@example.com' })
    }
    expect(await stack.oauth.api.keys.retire(oldKid)).toBe(true)
    const kids = (await stack.oauth.api.jwks()).keys.map((key) => key.kid)
    expect(kids).toContain(newKid)
    expect(kids).not.toContain(oldKid)
  })
})

describe('tokens from scripts', () => {
  it('introspects a client-credentials token as inactive once it expires', async () => {
    const client = await stack.oauth.api.clients.create({
      client_name: 'CC',
      grant_types: ['client_credentials'],
      scope: 'read',
    })
    const { access_token } = await stack.oauth.api.tokens.issueClientCredentials(client.client_id)
    expect(await stack.oauth.api.tokens.introspect(access_token)).toMatchObject({
      active: true,
      client_id: client.client_id,
      scope: 'read',
    })
    await new Promise((resolve) => setTimeout(resolve, 2100))
    expect(await stack.oauth.api.tokens.introspect(access_token)).toEqual({ active: false })
  })

  it('stores secrets and codes only as SHA-256', async () => {
    const client = await stack.oauth.api.clients.create({
      client_name: 'Hashed',
      redirect_uris: ['https://client.example/cb'],
    })
    const { rows } = await stack.t.db.query<{ secret_hash: string }>(
      'select secret_hash from oauth.clients where id = $1',
      [client.client_id],
    )
    expect(rows[0]?.secret_hash).toBe(
      createHash('sha256')
        .update(client.client_secret as string)
        .digest('hex'),
    )
    const plain = await stack.t.db.query(
      `select 1 from oauth.authorizations where code_hash !~ '^[0-9a-f]{64}$'`,
    )
    expect(plain.rowCount).toBe(0)
  })

  it('refuses a resource outside the configured list with invalid_target', async () => {
    const client = await stack.oauth.api.clients.create({
      client_name: 'Target',
      grant_types: ['client_credentials'],
      scope: 'read',
    })
    const params = new URLSearchParams({
      grant_type: 'client_credentials',
      resource: 'not-a-uri',
      client_id: client.client_id,
      client_secret: client.client_secret as string,
    })
    const response = await stack.oauth.handler(
      new Request('http://localhost/oauth/token', {
        method: 'POST',
        body: params,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    )
    expect(response.status).toBe(401) // client_secret_post is not this client's method (basic): the method must match
    const basic = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`
    params.delete('client_id')
    params.delete('client_secret')
    const target = await stack.oauth.handler(
      new Request('http://localhost/oauth/token', {
        method: 'POST',
        body: params,
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      }),
    )
    expect(target.status).toBe(400)
    expect(await target.json()).toMatchObject({ error: 'invalid_target' })
  })
})

describe('id_token keys encrypted at rest (encryptionKeys)', () => {
  it('stores the private JWK sealed and bound to its kid; id_tokens still verify', async () => {
    const sealed = await providerStack({ encryptionKeys: [randomBytes(32).toString('base64')] })
    try {
      const client = await sealed.oauth.api.clients.create({
        client_name: 'Sealed',
        redirect_uris: ['https://client.example/cb'],
        token_endpoint_auth_method: 'client_secret_post',
      })
      const user = await sealed.user('sealed-keys@example.com')
      const { api } = sealed.oauth
      const { location } = await api.authorize(
        new URLSearchParams({
          client_id: client.client_id,
          response_type: 'code',
          redirect_uri: 'https://client.example/cb',
          code_challenge: S256(VERIFIER),
          code_challenge_method: 'S256',
          scope: 'openid',
        }),
      )
      const id = new URL(location).searchParams.get('authorization_id') as string
      const { redirect_url } = await api.consent.decide(id, user.accessToken, 'approve')
      const tokens = await api.token({
        authorization: null,
        params: new URLSearchParams({
          grant_type: 'authorization_code',
          code: new URL(redirect_url).searchParams.get('code') as string,
          code_verifier: VERIFIER,
          client_id: client.client_id,
          client_secret: client.client_secret as string,
        }),
      })
      const { rows } = await sealed.t.db.query<{ kid: string; private_jwk: unknown }>(
        'select kid, private_jwk from oauth.signing_keys',
      )
      expect(rows).toHaveLength(1)
      expect(rows[0]?.private_jwk).toEqual(expect.stringMatching(/^gwenc:v1:[0-9a-f]{8}:/))
      const { payload } = await jwtVerify(tokens.id_token as string, createLocalJWKSet(await api.jwks()), {
        issuer: ISSUER,
        audience: client.client_id,
      })
      expect(payload.sub).toBe(user.id)
    } finally {
      await sealed.close()
    }
  })
})
