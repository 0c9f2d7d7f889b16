import { GoTrueAdminApi, GoTrueClient } from '@supabase/auth-js'
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
} from 'jose'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningDemo } from './support/demo-server'
import { startOAuthDemo } from './support/oauth-demo'

/**
 * The OAuth 2.1 / OIDC provider end to end: the demo (issuer `<url>/auth/v1`) driven by
 * oauth4webapi (a strict client) and by @supabase/auth-js' `oauth` and `admin.oauth` APIs.
 */
let demo: RunningDemo
let issuer: URL
let as: oauth.AuthorizationServer
const insecure = { [oauth.allowInsecureRequests]: true } as const
const REDIRECT = 'http://127.0.0.1:4000/callback'
const PASSWORD = 'correct-horse-battery-9'

function memoryStorage() {
  const items = new Map<string, string>()
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  }
}

function admin(): GoTrueAdminApi {
  return new GoTrueAdminApi({
    url: issuer.href,
    headers: { apikey: demo.serviceRoleKey, Authorization: `Bearer ${demo.serviceRoleKey}` },
  })
}

/** A user signed in through auth-js (the host's own client, as on the consent page). */
async function signedInUser(email: string): Promise<GoTrueClient> {
  await admin().createUser({
    email,
    password: PASSWORD,
    email_confirm: true,
    user_metadata: { full_name: 'Ada' },
  })
  const client = new GoTrueClient({
    url: issuer.href,
    headers: { apikey: demo.anonKey },
    storage: memoryStorage(),
    autoRefreshToken: false,
    persistSession: true,
  })
  const { error } = await client.signInWithPassword({ email, password: PASSWORD })
  expect(error).toBeNull()
  return client
}

/** Starts an authorization request; answers the consent page's authorization_id. */
async function authorize(params: Record<string, string>): Promise<Response> {
  const url = new URL(as.authorization_endpoint as string)
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
  return fetch(url, { redirect: 'manual' })
}

async function startFlow(client: oauth.Client, extra: Record<string, string> = {}) {
  const verifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const nonce = oauth.generateRandomNonce()
  const response = await authorize({
    client_id: client.client_id,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid profile email offline_access',
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  })
  expect(response.status).toBe(302)
  const location = new URL(response.headers.get('location') as string)
  expect(location.pathname).toBe('/oauth/consent')
  const authorizationId = location.searchParams.get('authorization_id') as string
  return { verifier, state, nonce, authorizationId }
}

/** A code flow up to the redirect back: `user` approves; answers the flow and the validated callback. */
async function approvedFlow(client: oauth.Client, user: GoTrueClient) {
  const flow = await startFlow(client)
  const { data, error } = await user.oauth.approveAuthorization(flow.authorizationId, {
    skipBrowserRedirect: true,
  })
  expect(error).toBeNull()
  const callback = oauth.validateAuthResponse(as, client, new URL(data?.redirect_url as string), flow.state)
  return { flow, callback }
}

/** The whole code flow for `user`; answers the token response. */
async function codeFlow(client: oauth.Client, auth: oauth.ClientAuth, user: GoTrueClient) {
  const { flow, callback } = await approvedFlow(client, user)
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    auth,
    callback,
    REDIRECT,
    flow.verifier,
    insecure,
  )
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
    expectedNonce: flow.nonce,
    requireIdToken: true,
  })
  return { tokens, flow, callback }
}

async function confidentialClient(extra: Record<string, unknown> = {}) {
  const { data, error } = await admin().oauth.createClient({
    client_name: 'Partner',
    redirect_uris: [REDIRECT],
    ...extra,
  } as Parameters<GoTrueAdminApi['oauth']['createClient']>[0])
  expect(error).toBeNull()
  return data as NonNullable<typeof data> & { client_secret: string; app_id: string }
}

beforeAll(async () => {
  demo = await startOAuthDemo({ oauth: { dynamicRegistration: true } })
  issuer = new URL(`${demo.url}/auth/v1`)
  as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  )
})

afterAll(async () => {
  await demo?.stop()
})

describe('discovery', () => {
  it('serves RFC 8414 metadata at the host root and under the issuer, and OIDC discovery', async () => {
    const oidc = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }),
    )
    const rfc8414 = await (await fetch(`${issuer.href}/.well-known/oauth-authorization-server`)).json()
    expect(oidc.issuer).toBe(issuer.href)
    expect(rfc8414).toEqual(as)
    expect(as.code_challenge_methods_supported).toEqual(['S256'])
    expect(as.authorization_response_iss_parameter_supported).toBe(true)
    expect(as.registration_endpoint).toBe(`${issuer.href}/oauth/clients/register`)
  })

  it('serves RFC 9728 protected-resource metadata for the REST API', async () => {
    const resource = new URL(`${demo.url}/rest/v1`)
    const metadata = await oauth.processResourceDiscoveryResponse(
      resource,
      await oauth.resourceDiscoveryRequest(resource, insecure),
    )
    expect(metadata.authorization_servers).toEqual([issuer.href])
  })
})

describe('authorization code flow (public client, PKCE)', () => {
  it('signs in, consents through auth-js, redeems the code; the id_token verifies against the JWKS', async () => {
    const { data: registered } = await admin().oauth.createClient({
      client_name: 'CLI',
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
    })
    const client: oauth.Client = { client_id: registered?.client_id as string }
    const user = await signedInUser('code@example.com')
    // RFC 8252 §7.3: the registered loopback URI without a port accepts any port.
    const flow = await startFlow(client)
    const details = await user.oauth.getAuthorizationDetails(flow.authorizationId)
    expect(details.data).toMatchObject({
      client: { name: 'CLI' },
      user: { email: 'code@example.com' },
      redirect_uri: REDIRECT,
    })
    const approved = await user.oauth.approveAuthorization(flow.authorizationId, {
      skipBrowserRedirect: true,
    })
    const redirect = new URL(approved.data?.redirect_url as string)
    expect(redirect.searchParams.get('iss')).toBe(issuer.href)
    const callback = oauth.validateAuthResponse(as, client, redirect, flow.state)
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      callback,
      REDIRECT,
      flow.verifier,
      insecure,
    )
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
      expectedNonce: flow.nonce,
      requireIdToken: true,
    })
    expect(tokens.refresh_token).toBeTypeOf('string')
    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt')
    expect(decodeJwt(tokens.access_token)).toMatchObject({
      client_id: client.client_id,
      role: 'authenticated',
      scope: 'openid profile email offline_access',
    })

    const jwks = createRemoteJWKSet(new URL(as.jwks_uri as string))
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token as string, jwks, {
      issuer: issuer.href,
      audience: client.client_id,
    })
    expect(protectedHeader.alg).toBe('RS256')
    expect(protectedHeader.kid).toBeTypeOf('string')
    expect(payload).toMatchObject({
      nonce: flow.nonce,
      email: 'code@example.com',
      name: 'Ada',
      email_verified: true,
    })
    expect(payload.auth_time).toBeTypeOf('number')

    const info = await oauth.processUserInfoResponse(
      as,
      client,
      payload.sub as string,
      await oauth.userInfoRequest(as, client, tokens.access_token, insecure),
    )
    expect(info).toMatchObject({ sub: payload.sub, email: 'code@example.com', name: 'Ada' })

    const grants = await user.oauth.listGrants()
    expect(grants.data?.map((g) => g.client.name)).toEqual(['CLI'])
    // Earlier consent covers the same scopes: the details answer a redirect at once.
    const again = await startFlow(client)
    const shortcut = await user.oauth.getAuthorizationDetails(again.authorizationId)
    expect(shortcut.data).toHaveProperty('redirect_url')
  })

  it('answers access_denied (with state and iss) when the user denies', async () => {
    const client = await confidentialClient()
    const user = await signedInUser('deny@example.com')
    const flow = await startFlow({ client_id: client.client_id })
    const denied = await user.oauth.denyAuthorization(flow.authorizationId, { skipBrowserRedirect: true })
    const redirect = new URL(denied.data?.redirect_url as string)
    expect(() =>
      oauth.validateAuthResponse(as, { client_id: client.client_id }, redirect, flow.state),
    ).toThrow(oauth.AuthorizationResponseError)
    expect(redirect.searchParams.get('error')).toBe('access_denied')
    expect(redirect.searchParams.get('state')).toBe(flow.state)
    expect(redirect.searchParams.get('iss')).toBe(issuer.href)
  })

  it('shows (never redirects) an unknown redirect URI; accepts a loopback port change only', async () => {
    const client = await confidentialClient()
    const challenge = await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier())
    const base = {
      client_id: client.client_id,
      response_type: 'code',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }
    const evil = await authorize({ ...base, redirect_uri: 'https://evil.example/callback' })
    expect(evil.status).toBe(400)
    expect(evil.headers.get('location')).toBeNull()
    expect((await evil.json()).error).toBe('invalid_request')
    const otherPath = await authorize({ ...base, redirect_uri: 'http://127.0.0.1:4000/other' })
    expect(otherPath.status).toBe(400)
    const localhost = await authorize({ ...base, redirect_uri: 'http://localhost:4000/callback' })
    expect(localhost.status).toBe(400)
    const otherPort = await authorize({ ...base, redirect_uri: 'http://127.0.0.1:5999/callback' })
    expect(otherPort.status).toBe(302)
    // After the redirect URI is known good, errors go back to the client: PKCE is required.
    const noPkce = await authorize({
      client_id: client.client_id,
      response_type: 'code',
      redirect_uri: REDIRECT,
      state: 's1',
    })
    const location = new URL(noPkce.headers.get('location') as string)
    expect(location.origin + location.pathname).toBe(REDIRECT)
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      error: 'invalid_request',
      state: 's1',
      iss: issuer.href,
    })
    const plain = await authorize({
      ...base,
      redirect_uri: REDIRECT,
      code_challenge_method: 'plain',
      code_challenge: oauth.generateRandomCodeVerifier(),
    })
    expect(new URL(plain.headers.get('location') as string).searchParams.get('error')).toBe('invalid_request')
  })
})

describe('tokens of a confidential client', () => {
  it('rotates refresh tokens; a reused one revokes the grant', async () => {
    const registered = await confidentialClient()
    const client: oauth.Client = { client_id: registered.client_id }
    const auth = oauth.ClientSecretBasic(registered.client_secret)
    const user = await signedInUser('refresh@example.com')
    const { tokens } = await codeFlow(client, auth, user)
    const first = tokens.refresh_token as string
    const rotated = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, first, insecure),
    )
    expect(rotated.refresh_token).not.toBe(first)
    expect(decodeJwt(rotated.access_token).client_id).toBe(client.client_id)
    // Another client cannot use it.
    const other = await confidentialClient()
    const stolen = await oauth.refreshTokenGrantRequest(
      as,
      { client_id: other.client_id },
      oauth.ClientSecretBasic(other.client_secret),
      rotated.refresh_token as string,
      insecure,
    )
    expect(stolen.status).toBe(400)
    expect((await stolen.json()).error).toBe('invalid_grant')
    // Reuse of a rotated-out token (outside the grace of the immediately previous one): a second
    // rotation first, then the first token again.
    const third = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, rotated.refresh_token as string, insecure),
    )
    const reuse = await oauth.refreshTokenGrantRequest(as, client, auth, first, insecure)
    await expect(oauth.processRefreshTokenResponse(as, client, reuse)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
    const after = await oauth.refreshTokenGrantRequest(
      as,
      client,
      auth,
      third.refresh_token as string,
      insecure,
    )
    await expect(oauth.processRefreshTokenResponse(as, client, after)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
    const rest = await fetch(`${demo.url}/rest/v1/lists`, {
      headers: { apikey: demo.anonKey, authorization: `Bearer ${third.access_token}` },
    })
    expect(rest.status).toBe(401)
  })

  it('revokes what a replayed code issued (RFC 6749 §4.1.2)', async () => {
    const registered = await confidentialClient({ token_endpoint_auth_method: 'client_secret_post' })
    const client: oauth.Client = { client_id: registered.client_id }
    const auth = oauth.ClientSecretPost(registered.client_secret)
    const user = await signedInUser('replay@example.com')
    const { tokens, flow, callback } = await codeFlow(client, auth, user)
    const replay = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      auth,
      callback,
      REDIRECT,
      flow.verifier,
      insecure,
    )
    expect(replay.status).toBe(400)
    expect((await replay.json()).error).toBe('invalid_grant')
    const introspected = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure),
    )
    expect(introspected.active).toBe(false)
  })

  it('ends the grant when the replay lands between the redemption and the session INSERT', async () => {
    const registered = await confidentialClient({ token_endpoint_auth_method: 'client_secret_post' })
    const client: oauth.Client = { client_id: registered.client_id }
    const auth = oauth.ClientSecretPost(registered.client_secret)
    const user = await signedInUser('replay-window@example.com')
    const { flow, callback } = await approvedFlow(client, user)
    // Hold this client's session INSERT for 1.5 s: the first redemption has marked the code used
    // but its session does not exist yet when the replay arrives.
    const db = demo.database.db
    await db.query(`create function public.slow_grant() returns trigger language plpgsql as $$
      begin perform pg_sleep(1.5); return new; end $$`)
    try {
      await db.query(
        `create trigger slow_grant before insert on auth.sessions for each row
         when (new.oauth_client_id = '${registered.client_id}') execute function public.slow_grant()`,
      )
      const redeem = () =>
        oauth.authorizationCodeGrantRequest(as, client, auth, callback, REDIRECT, flow.verifier, insecure)
      const first = redeem()
      await new Promise((resolve) => setTimeout(resolve, 500))
      const replay = await redeem()
      expect(replay.status).toBe(400)
      expect((await replay.json()).error).toBe('invalid_grant')
      const answered = await first
      expect(answered.status).toBe(400)
      expect((await answered.json()).error).toBe('invalid_grant')
      const { rows } = await db.query<{ n: number }>(
        'select count(*)::int as n from auth.sessions where oauth_client_id = $1',
        [registered.client_id],
      )
      expect(rows[0]?.n).toBe(0)
    } finally {
      await db.query('drop trigger if exists slow_grant on auth.sessions')
      await db.query('drop function public.slow_grant()')
    }
  })

  it('introspects (active, inactive after revocation) and revokes (RFC 7662, RFC 7009)', async () => {
    const registered = await confidentialClient()
    const client: oauth.Client = { client_id: registered.client_id }
    const auth = oauth.ClientSecretBasic(registered.client_secret)
    const user = await signedInUser('introspect@example.com')
    const { tokens } = await codeFlow(client, auth, user)
    const active = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure),
    )
    expect(active).toMatchObject({
      active: true,
      client_id: client.client_id,
      token_type: 'Bearer',
      username: 'introspect@example.com',
    })
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, tokens.refresh_token as string, insecure),
    )
    const inactive = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure),
    )
    expect(inactive.active).toBe(false)
    const userinfo = await oauth.userInfoRequest(as, client, tokens.access_token, insecure)
    expect(userinfo.status).toBe(401)
    expect(userinfo.headers.get('www-authenticate')).toContain('invalid_token')
  })

  it('refuses a wrong secret with invalid_client 401 and WWW-Authenticate', async () => {
    const registered = await confidentialClient({
      grant_types: ['client_credentials'],
      redirect_uris: [],
      scope: 'read',
    })
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      { client_id: registered.client_id },
      oauth.ClientSecretBasic('wrong'),
      {},
      insecure,
    )
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic/)
    expect(await response.json()).toMatchObject({ error: 'invalid_client' })
  })
})

describe('client credentials', () => {
  it('issues an app token, narrowed by scope; introspection and revocation apply', async () => {
    const registered = await confidentialClient({
      grant_types: ['client_credentials'],
      redirect_uris: [],
      scope: 'read write',
    })
    const client: oauth.Client = { client_id: registered.client_id }
    const auth = oauth.ClientSecretBasic(registered.client_secret)
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'read' }, insecure),
    )
    expect(tokens.scope).toBe('read')
    expect(decodeJwt(tokens.access_token)).toMatchObject({
      gty: 'client_credentials',
      app_id: registered.app_id,
      client_id: client.client_id,
      sub: client.client_id,
    })
    const read = await fetch(`${demo.url}/rest/v1/lists?select=id`, {
      headers: { apikey: demo.anonKey, authorization: `Bearer ${tokens.access_token}` },
    })
    expect(read.status).toBe(200)
    const write = await fetch(`${demo.url}/rest/v1/lists`, {
      method: 'POST',
      headers: {
        apikey: demo.anonKey,
        authorization: `Bearer ${tokens.access_token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ title: 'nope' }),
    })
    expect(write.status).toBe(403)
    const wider = await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'admin' }, insecure)
    expect((await wider.json()).error).toBe('invalid_scope')
    expect(
      (
        await oauth.processIntrospectionResponse(
          as,
          client,
          await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure),
        )
      ).active,
    ).toBe(true)
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, tokens.access_token, insecure),
    )
    expect(
      (
        await oauth.processIntrospectionResponse(
          as,
          client,
          await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure),
        )
      ).active,
    ).toBe(false)
    const after = await fetch(`${demo.url}/rest/v1/lists?select=id`, {
      headers: { apikey: demo.anonKey, authorization: `Bearer ${tokens.access_token}` },
    })
    expect(after.status).toBe(401)
  })

  it('authenticates with private_key_jwt (RFC 7523); a replayed assertion is refused', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
    const registered = await confidentialClient({
      grant_types: ['client_credentials'],
      redirect_uris: [],
      scope: 'read',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [jwk] },
    })
    const client: oauth.Client = { client_id: registered.client_id }
    const auth = oauth.PrivateKeyJwt({ key: privateKey, kid: 'k1' })
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, auth, {}, insecure),
    )
    expect(tokens.access_token).toBeTypeOf('string')
    const stranger = await generateKeyPair('ES256')
    const refused = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.PrivateKeyJwt({ key: stranger.privateKey, kid: 'k1' }),
      {},
      insecure,
    )
    expect(refused.status).toBe(401)
  })
})

describe('dynamic registration and auth-js admin API', () => {
  it('registers a client (RFC 7591) that then completes a flow', async () => {
    const response = await oauth.dynamicClientRegistrationRequest(
      as,
      { client_name: 'Dyn', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' } as never,
      insecure,
    )
    const registered = await oauth.processDynamicClientRegistrationResponse(response)
    expect(registered.client_id).toBeTypeOf('string')
    const user = await signedInUser('dyn@example.com')
    const { tokens } = await codeFlow({ client_id: registered.client_id }, oauth.None(), user)
    expect(tokens.access_token).toBeTypeOf('string')
  })

  it('creates, lists, gets, updates, regenerates and deletes clients', async () => {
    const api = admin().oauth
    const created = await api.createClient({ client_name: 'Admin made', redirect_uris: [REDIRECT] })
    expect(created.data?.client_secret).toBeTypeOf('string')
    const id = created.data?.client_id as string
    expect((await api.getClient(id)).data).toMatchObject({
      client_name: 'Admin made',
      client_type: 'confidential',
    })
    expect((await api.getClient(id)).data).not.toHaveProperty('client_secret')
    const listed = await api.listClients({ page: 1, perPage: 100 })
    expect(listed.data?.clients.some((c) => c.client_id === id)).toBe(true)
    expect((await api.updateClient(id, { client_name: 'Renamed' })).data?.client_name).toBe('Renamed')
    const secret = (await api.regenerateClientSecret(id)).data?.client_secret
    expect(secret).toBeTypeOf('string')
    expect(secret).not.toBe(created.data?.client_secret)
    expect((await api.deleteClient(id)).error).toBeNull()
    expect((await api.getClient(id)).error?.status).toBe(404)
    // Every change is in auth's audit log (GoTrue's admin audit endpoint), never with a secret.
    const response = await fetch(new URL('admin/audit?query=type:oauth&per_page=1000', `${issuer.href}/`), {
      headers: { apikey: demo.serviceRoleKey, Authorization: `Bearer ${demo.serviceRoleKey}` },
    })
    expect(response.status).toBe(200)
    const entries = (await response.json()) as {
      payload: { action: string; traits?: { client_id?: string } }
    }[]
    const actions = entries
      .filter((entry) => entry.payload.traits?.client_id === id)
      .map((entry) => entry.payload.action)
      .sort()
    expect(actions).toEqual([
      'oauth.client_created',
      'oauth.client_deleted',
      'oauth.client_secret_regenerated',
      'oauth.client_updated',
    ])
    const text = JSON.stringify(entries)
    expect(text).not.toContain(created.data?.client_secret as string)
    expect(text).not.toContain(secret as string)
  })

  it('revokes a grant through auth-js: the client’s tokens stop working', async () => {
    const registered = await confidentialClient()
    const client: oauth.Client = { client_id: registered.client_id }
    const auth = oauth.ClientSecretBasic(registered.client_secret)
    const user = await signedInUser('grants@example.com')
    const { tokens } = await codeFlow(client, auth, user)
    expect((await user.oauth.revokeGrant({ clientId: client.client_id })).error).toBeNull()
    expect((await user.oauth.listGrants()).data).toEqual([])
    const refresh = await oauth.refreshTokenGrantRequest(
      as,
      client,
      auth,
      tokens.refresh_token as string,
      insecure,
    )
    expect(refresh.status).toBe(400)
  })
})

describe('tokens under RLS', () => {
  it('filters a REST call by a policy on auth.jwt() ->> client_id', async () => {
    await demo.database.db.query(`
      create table public.partner_notes (id int primary key, client_id text not null, body text not null);
      alter table public.partner_notes enable row level security;
      create policy by_client on public.partner_notes for select to authenticated
        using (client_id = auth.jwt() ->> 'client_id');
      grant select on public.partner_notes to authenticated;`)
    const registered = await confidentialClient()
    const client: oauth.Client = { client_id: registered.client_id }
    await demo.database.db.query(
      `insert into public.partner_notes values (1, $1, 'mine'), (2, 'someone-else', 'theirs')`,
      [client.client_id],
    )
    const rest = demo.demo.services.find((s) => s.name === 'rest') as unknown as {
      api: { reloadSchema(): Promise<void> }
    }
    await rest.api.reloadSchema()
    const user = await signedInUser('rls@example.com')
    const { tokens } = await codeFlow(client, oauth.ClientSecretBasic(registered.client_secret), user)
    const response = await fetch(`${demo.url}/rest/v1/partner_notes?select=id,body`, {
      headers: { apikey: demo.anonKey, authorization: `Bearer ${tokens.access_token}` },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual([{ id: 1, body: 'mine' }])
  })
})
