/**
 * Input fuzz over every endpoint of the provider — authorize, consent, token (every grant and
 * client authentication), revoke, introspect, userinfo, registration, the admin client API, the
 * user's grants and the metadata — with hostile strings, wrong types, duplicate parameters, bad
 * content types, nesting bombs and every kind of caller. Whatever comes in, the answer is a
 * success or an RFC 6749 §5.2 error (`{ error, error_description }`), never a 5xx.
 *
 * Reproduce a failure with `FUZZ_SEED=<printed seed>`; `FUZZ_RUNS` changes the count.
 */
import { ERROR_SHAPES, type FuzzCase, HOSTILE, type Rng, runFuzz } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ProviderStack, providerStack } from './support'

let stack: ProviderStack
const clientIds: string[] = []
const secrets: string[] = []
const authorizationIds: string[] = []
const tokens: string[] = []
const callers: Record<string, string>[] = [{}]

beforeAll(async () => {
  stack = await providerStack({ dynamicRegistration: true, registrationRateLimit: 1000 })
  const { api } = stack.oauth
  const confidential = await api.clients.create({
    client_name: 'Fuzz',
    redirect_uris: ['https://client.example/cb', 'http://127.0.0.1/cb'],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    scope: 'openid email profile read write',
  })
  const pub = await api.clients.create({
    client_name: 'Pub',
    redirect_uris: ['com.example.app:/cb'],
    token_endpoint_auth_method: 'none',
  })
  clientIds.push(confidential.client_id, pub.client_id, '00000000-0000-0000-0000-000000000000')
  secrets.push(confidential.client_secret as string)
  const user = await stack.user('fuzz@example.com')
  callers.push(
    { authorization: `Bearer ${user.accessToken}` },
    { authorization: `Bearer ${stack.serviceKey}` },
    {
      authorization: `Basic ${Buffer.from(`${confidential.client_id}:${confidential.client_secret}`).toString('base64')}`,
    },
    { authorization: 'Basic !!!' },
    { authorization: 'Bearer not.a.jwt' },
    { authorization: `Bearer ${'x'.repeat(20_000)}` },
  )
  for (let i = 0; i < 3; i++) {
    const { location } = await api.authorize(
      new URLSearchParams({
        client_id: confidential.client_id,
        response_type: 'code',
        redirect_uri: 'https://client.example/cb',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        scope: 'openid',
      }),
    )
    authorizationIds.push(new URL(location).searchParams.get('authorization_id') as string)
  }
  const cc = await api.tokens.issueClientCredentials(confidential.client_id, { scope: 'read' })
  tokens.push(cc.access_token, user.accessToken)
})

afterAll(async () => {
  await stack?.close()
})

const STRINGS = [
  ...HOSTILE.strings,
  ...HOSTILE.redirectUrls,
  'x'.repeat(5000),
  '\ud800',
  'a\u0000b',
  'openid',
  'read admin',
]

function str(r: Rng): string {
  return r.pick([
    r.pick(STRINGS),
    r.pick(clientIds),
    r.pick(secrets),
    r.pick(authorizationIds),
    r.pick(tokens),
    'authorization_code',
    'refresh_token',
    'client_credentials',
    'S256',
    'plain',
    'code',
    'https://client.example/cb',
    'http://127.0.0.1:9999/cb',
  ])
}

const PARAMS = [
  'grant_type',
  'client_id',
  'client_secret',
  'code',
  'code_verifier',
  'redirect_uri',
  'refresh_token',
  'scope',
  'token',
  'token_type_hint',
  'resource',
  'response_type',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'client_assertion_type',
  'client_assertion',
  '__proto__',
]

function params(r: Rng): [string, string][] {
  return Array.from({ length: r.int(7) }, () => [r.pick(PARAMS), str(r)] as [string, string])
}

function jsonValue(r: Rng, depth = 0): unknown {
  const kind = r.int(depth > 2 ? 4 : 6)
  if (kind === 0) return str(r)
  if (kind === 1) return r.int(1000) - 500
  if (kind === 2) return r.chance(0.5)
  if (kind === 3) return null
  if (kind === 4) return Array.from({ length: r.int(3) }, () => jsonValue(r, depth + 1))
  return Object.fromEntries(
    Array.from({ length: r.int(4) }, () => [
      r.pick([
        'client_name',
        'redirect_uris',
        'grant_types',
        'scope',
        'token_endpoint_auth_method',
        'jwks',
        'action',
        'app_id',
        'allowed_tables',
        'client_uri',
        '__proto__',
      ]),
      jsonValue(r, depth + 1),
    ]),
  )
}

function body(r: Rng): { body?: string; headers: Record<string, string> } {
  const kind = r.int(6)
  if (kind === 0) return { headers: {} }
  if (kind === 1)
    return {
      body: new URLSearchParams(params(r)).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }
  if (kind === 2)
    return { body: JSON.stringify(jsonValue(r)), headers: { 'content-type': 'application/json' } }
  if (kind === 3) return { body: HOSTILE.deepJson(2000), headers: { 'content-type': 'application/json' } }
  if (kind === 4)
    return {
      body: str(r),
      headers: { 'content-type': r.pick(['text/plain', 'application/json', 'multipart/form-data']) },
    }
  return { body: 'x'.repeat(70_000), headers: { 'content-type': 'application/x-www-form-urlencoded' } }
}

/** Percent-encodes `value`; a lone surrogate (which `encodeURIComponent` refuses) goes in raw-escaped. */
function encodeSafely(value: string): string {
  try {
    return encodeURIComponent(value)
  } catch {
    return '%ED%A0%80'
  }
}

function makeCase(r: Rng): FuzzCase {
  const id = encodeSafely(r.pick([...authorizationIds, ...clientIds, str(r)]))
  const [method, path] = r.pick([
    ['GET', `/oauth/authorize?${new URLSearchParams(params(r))}`],
    ['GET', `/oauth/authorizations/${id}`],
    ['POST', `/oauth/authorizations/${id}/consent`],
    ['POST', '/oauth/token'],
    ['POST', '/oauth/token'],
    ['POST', '/oauth/revoke'],
    ['POST', '/oauth/introspect'],
    ['GET', '/oauth/userinfo'],
    ['POST', '/oauth/clients/register'],
    ['GET', `/admin/oauth/clients?page=${r.int(5) - 1}&per_page=${str(r).slice(0, 20)}`],
    ['POST', '/admin/oauth/clients'],
    ['GET', `/admin/oauth/clients/${id}`],
    ['PUT', `/admin/oauth/clients/${id}`],
    ['DELETE', `/admin/oauth/clients/${id}`],
    ['POST', `/admin/oauth/clients/${id}/regenerate_secret`],
    ['GET', '/user/oauth/grants'],
    ['DELETE', `/user/oauth/grants?client_id=${id}`],
    ['GET', '/.well-known/openid-configuration'],
    ['GET', '/.well-known/jwks.json'],
    [
      r.pick(['PATCH', 'PUT', 'OPTIONS', 'HEAD']),
      r.pick(['/oauth/token', '/oauth/%zz', '/oauth//token', '/nowhere']),
    ],
  ] as const)
  const { body: payload, headers } = body(r)
  // Never delete the clients the other cases use (only random ids reach DELETE).
  const safePath =
    method === 'DELETE' && path.startsWith('/admin/') && clientIds.some((c) => path.includes(c))
      ? '/admin/oauth/clients/x'
      : path
  return {
    method,
    path: safePath,
    headers: { ...headers, ...r.pick(callers) },
    body: method === 'GET' || method === 'HEAD' ? undefined : payload,
  }
}

describe('oauth-provider fuzz', () => {
  it('answers every endpoint with a success or an RFC 6749 error, never a 5xx', async () => {
    const result = await runFuzz({
      name: 'oauth-provider',
      runs: 600,
      makeCase,
      send: (c) =>
        stack.oauth.handler(
          new Request(new URL(c.path, 'http://localhost'), {
            method: c.method,
            headers: c.headers ?? {},
            ...(c.body === undefined ? {} : { body: c.body }),
          }),
        ),
      errorShape: ERROR_SHAPES.oauth,
    })
    expect(result.failures.slice(0, 5)).toEqual([])
    expect(Object.prototype).not.toHaveProperty('polluted')
  })
})
