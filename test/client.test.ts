/**
 * `@groundwork/client` against the demo stack (as `pnpm start` composes it), in Node: one
 * `createClient()` signs up through the confirmation mail, and its REST, storage, realtime, push,
 * keys and oauth modules all pick up that session — and drop it on sign-out — without being told.
 */
import {
  createClient,
  createConnection,
  createRealtime,
  createRestClient,
  type GroundworkClient,
  type RealtimeChange,
  type RealtimeStatus,
} from '@groundwork/client'
import { OAUTH_CONSENT_PATH } from '@groundwork/example-express'
import { GoTrueAdminApi } from '@supabase/auth-js'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningDemo, startDemo } from './support/demo-server'

let stack: RunningDemo

beforeAll(async () => {
  // The demo's `attachments` bucket: each user owns the folder named after their id
  // (examples/web/migrations/0001_attachments.sql).
  stack = await startDemo()
})
afterAll(() => stack?.stop())

function client(key = stack.anonKey): GroundworkClient {
  return createClient(stack.url, key, { auth: { persistSession: false, autoRefreshToken: false } })
}

async function waitFor<T>(read: () => T | undefined, what: string, timeout = 20_000): Promise<T> {
  const deadline = Date.now() + timeout
  for (;;) {
    const value = read()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Signs up through the confirmation mail (dev mailbox → /verify), then hands the session to `gw`. */
async function signUpConfirmed(gw: GroundworkClient, email: string): Promise<string> {
  const signUp = await gw.auth.signUp({ email, password: 'correct horse battery staple' })
  expect(signUp.error).toBeNull()
  expect(signUp.data.session).toBeNull()
  let html: string | undefined
  const deadline = Date.now() + 20_000
  while (!html && Date.now() < deadline) {
    const response = await fetch(`${stack.url}/mail/messages?to=${encodeURIComponent(email)}`, {
      headers: { authorization: `Bearer ${stack.serviceRoleKey}` },
    })
    const { items } = (await response.json()) as { items: { html: string }[] }
    html = items[0]?.html
    if (!html) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const link = /href="([^"]+\/verify\?[^"]+)"/.exec(html ?? '')?.[1]?.replaceAll('&amp;', '&')
  expect(link).toBeDefined()
  const verified = await fetch(`${stack.url}/auth/v1/verify${new URL(link as string).search}`, {
    redirect: 'manual',
  })
  const fragment = new URLSearchParams(new URL(verified.headers.get('location') as string).hash.slice(1))
  const session = await gw.auth.setSession({
    access_token: fragment.get('access_token') as string,
    refresh_token: fragment.get('refresh_token') as string,
  })
  expect(session.error).toBeNull()
  return session.data.user?.id as string
}

/** Where the OAuth apps below send the browser back; never visited (the tests read the URL). */
const REDIRECT_URI = 'http://127.0.0.1:4000/callback'

/** A public OAuth client (PKCE, no secret), registered by the service role through auth-js's admin API. */
async function registerOAuthApp(name: string): Promise<string> {
  const admin = new GoTrueAdminApi({
    url: `${stack.url}/auth/v1`,
    headers: { apikey: stack.serviceRoleKey, Authorization: `Bearer ${stack.serviceRoleKey}` },
  })
  const { data, error } = await admin.oauth.createClient({
    client_name: name,
    redirect_uris: [REDIRECT_URI],
    token_endpoint_auth_method: 'none',
  })
  expect(error).toBeNull()
  return data?.client_id as string
}

/**
 * What the third-party app does first: `GET /auth/v1/oauth/authorize` with PKCE (RFC 7636), not
 * following the redirect; the server answers with the consent page's URL (`authorization_id`).
 */
async function startAuthorization(clientId: string) {
  const verifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const url = new URL(`${stack.url}/auth/v1/oauth/authorize`)
  url.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'email',
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString()
  const response = await fetch(url, { redirect: 'manual' })
  expect(response.status).toBe(302)
  const consentPage = new URL(response.headers.get('location') as string)
  expect(consentPage.pathname).toBe(OAUTH_CONSENT_PATH)
  return { verifier, state, consentPage }
}

/** The third-party app at the token endpoint, as a public client (RFC 6749 §4.1.3, §6). */
function tokenRequest(params: Record<string, string>): Promise<Response> {
  return fetch(`${stack.url}/auth/v1/oauth/token`, { method: 'POST', body: new URLSearchParams(params) })
}

describe('@groundwork/client against the demo', () => {
  it('shares one session across REST, realtime and storage; sign-out drops it everywhere', async () => {
    const gw = client()
    // Subscribed while still anonymous: the stream must switch to the user when they sign in.
    const changes: RealtimeChange[] = []
    const statuses: RealtimeStatus[] = []
    const subscription = gw.realtime.subscribe(
      { table: 'todos' },
      { onChange: (change) => changes.push(change), onStatus: (status) => statuses.push(status) },
    )
    await waitFor(() => (statuses.includes('open') ? true : undefined), 'the anonymous stream')

    const email = `client+${Date.now()}@example.com`
    const userId = await signUpConfirmed(gw, email)

    // REST as the user: auth.uid() fills owner_id; RLS shows the private list to its owner.
    const list = await gw.from('lists').insert({ title: 'Client list' }).select().single()
    expect(list.error).toBeNull()
    expect(list.data).toMatchObject({ owner_id: userId, is_public: false })

    // The stream reconnected with the user's token (private rows are invisible to anon).
    await waitFor(() => (statuses.filter((s) => s === 'open').length >= 2 ? true : undefined), 'a reconnect')
    const todo = await gw.from('todos').insert({ list_id: list.data.id, title: 'Milk' }).select().single()
    expect(todo.error).toBeNull()
    const change = await waitFor(
      () => changes.find((c) => (c.record as { title?: string } | null)?.title === 'Milk'),
      'the INSERT over SSE',
    )
    expect(change).toMatchObject({ type: 'INSERT', table: 'todos', record: { created_by: userId } })

    // Storage as the user: the own-folder policy lets the upload in and the download out.
    const path = `${userId}/note.txt`
    const upload = await gw.storage.from('attachments').upload(path, new Blob(['hello']), {
      contentType: 'text/plain',
    })
    expect(upload.error).toBeNull()
    const download = await gw.storage.from('attachments').download(path)
    expect(await download.data?.text()).toBe('hello')
    const foreign = await gw.storage.from('attachments').upload('someone-else/x.txt', new Blob(['x']))
    expect(foreign.error).not.toBeNull()

    // Sign-out: REST is anonymous again — the private list is gone from view.
    await gw.auth.signOut()
    const anonymous = await gw.from('lists').select('id').eq('id', list.data.id)
    expect(anonymous.error).toBeNull()
    expect(anonymous.data).toEqual([])
    subscription.close()
    await subscription.closed
  })

  it('registers push devices and mints API keys for the signed-in user', async () => {
    const gw = client()
    const userId = await signUpConfirmed(gw, `keys+${Date.now()}@example.com`)

    // Push: devices are the user's own (RLS on push.devices); the demo delivers through the dev provider.
    const registered = await gw.push.register({ token: `device-${userId}`, provider: 'fcm', platform: 'web' })
    expect(registered.error).toBeNull()
    expect(registered.data).toMatchObject({ user_id: userId, provider: 'fcm', platform: 'web' })
    const device = registered.data!
    expect((await gw.push.subscribe(device.id, 'news')).error).toBeNull()
    const listed = await gw.push.list()
    expect(listed.data?.map((d) => [d.id, d.topics])).toEqual([[device.id, ['news']]])
    expect((await gw.push.remove(device.id)).error).toBeNull()
    const gone = await gw.push.get(device.id)
    expect(gone.error).toMatchObject({ status: 404 })

    // Keys: minted by the session, shown once, usable as the project key of another client.
    const created = await gw.keys.create({ name: 'script', scopes: ['read', 'write'] })
    expect(created.error).toBeNull()
    const key = created.data!.key
    expect(key).toMatch(/^gw_app_/)
    const asKey = client(key)
    const list = await asKey.from('lists').insert({ title: 'via key' }).select('owner_id').single()
    expect(list.error).toBeNull()
    expect(list.data).toEqual({ owner_id: userId })
    expect((await gw.keys.list()).data?.map((k) => k.name)).toEqual(['script'])
    expect((await gw.keys.revoke(created.data!.id)).error).toBeNull()
    const refused = await asKey.from('lists').select('id')
    expect(refused.error).not.toBeNull()

    // Signed out, the anon key cannot mint keys: the server's refusal, as a value.
    await gw.auth.signOut()
    const anonymous = await gw.keys.create({ name: 'nope' })
    expect(anonymous.data).toBeNull()
    expect(anonymous.error?.status).toBe(403)
  })

  it('reads and approves an OAuth authorization as the user, lists the grant and revokes it', async () => {
    const gw = client()
    const email = `oauth+${Date.now()}@example.com`
    const userId = await signUpConfirmed(gw, email)
    const clientId = await registerOAuthApp('Todo Exporter')
    const flow = await startAuthorization(clientId)

    // The consent page: what is asked, then the user's "Allow".
    const authorizationId = gw.oauth.readAuthorizationId(flow.consentPage) as string
    expect(authorizationId).toMatch(/^[0-9a-f-]{36}$/)
    const details = await gw.oauth.getAuthorizationDetails(authorizationId)
    expect(details).toEqual({
      data: {
        authorization_id: authorizationId,
        redirect_uri: REDIRECT_URI,
        client: { id: clientId, name: 'Todo Exporter', uri: '', logo_uri: '' },
        user: { id: userId, email },
        scope: 'email',
      },
      error: null,
    })
    const approved = await gw.oauth.approve(authorizationId)
    expect(approved.error).toBeNull()
    const callback = new URL(approved.data?.redirect_url as string)
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI)
    expect(callback.searchParams.get('state')).toBe(flow.state)
    const code = callback.searchParams.get('code') as string
    expect(code).toBeTruthy()

    // The app redeems the code, and its grant works: a refresh rotates the refresh token.
    const issued = await tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      client_id: clientId,
      code_verifier: flow.verifier,
    })
    expect(issued.status).toBe(200)
    const tokens = (await issued.json()) as { refresh_token: string; scope: string }
    expect(tokens.scope).toBe('email')
    const refreshed = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: clientId,
    })
    expect(refreshed.status).toBe(200)
    const current = (await refreshed.json()) as { access_token: string; refresh_token: string }
    const asApp = () =>
      fetch(`${stack.url}/rest/v1/lists?select=id`, {
        headers: { apikey: stack.anonKey, authorization: `Bearer ${current.access_token}` },
      })
    expect((await asApp()).status).toBe(200)

    // Consent given once covers the next request for the same scopes: no question, a redirect.
    const again = await startAuthorization(clientId)
    const skipped = await gw.oauth.getAuthorizationDetails(
      gw.oauth.readAuthorizationId(again.consentPage) as string,
    )
    expect(skipped.error).toBeNull()
    const redirect =
      skipped.data && 'redirect_url' in skipped.data ? new URL(skipped.data.redirect_url) : null
    expect(redirect?.searchParams.get('state')).toBe(again.state)
    expect(redirect?.searchParams.get('code')).toBeTruthy()

    // "Connected apps": the grant is listed, and revoking it ends every token of it.
    const grants = await gw.oauth.listGrants()
    expect(grants).toEqual({
      data: [
        {
          client: { id: clientId, name: 'Todo Exporter', uri: '', logo_uri: '' },
          scopes: ['email'],
          granted_at: expect.any(String),
        },
      ],
      error: null,
    })
    expect(await gw.oauth.revokeGrant(clientId)).toEqual({ data: null, error: null })
    expect(await gw.oauth.listGrants()).toEqual({ data: [], error: null })
    const refused = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: current.refresh_token,
      client_id: clientId,
    })
    expect(refused.status).toBe(400)
    expect(await refused.json()).toMatchObject({ error: 'invalid_grant' })
    expect((await asApp()).status).toBe(401)
  })

  it('denies an OAuth authorization: the app is sent back with access_denied and no grant exists', async () => {
    const gw = client()
    await signUpConfirmed(gw, `oauth-deny+${Date.now()}@example.com`)
    const clientId = await registerOAuthApp('Nosy App')
    const flow = await startAuthorization(clientId)
    const authorizationId = gw.oauth.readAuthorizationId(flow.consentPage) as string
    expect((await gw.oauth.getAuthorizationDetails(authorizationId)).error).toBeNull()

    const denied = await gw.oauth.deny(authorizationId)
    expect(denied.error).toBeNull()
    const callback = new URL(denied.data?.redirect_url as string)
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI)
    expect(callback.searchParams.get('error')).toBe('access_denied')
    expect(callback.searchParams.get('state')).toBe(flow.state)
    expect(callback.searchParams.has('code')).toBe(false)
    expect(await gw.oauth.listGrants()).toEqual({ data: [], error: null })
    // Decided once: the request is gone, so a later "Allow" cannot overturn the denial.
    const late = await gw.oauth.approve(authorizationId)
    expect(late.data).toBeNull()
    expect(late.error).toMatchObject({ status: 404, code: 'not_found' })
  })

  it('refreshes an expired session before a REST call, and sends the new token', async () => {
    const stored = new Map<string, string>()
    const sent: string[] = []
    const gw = createClient(stack.url, stack.anonKey, {
      auth: {
        autoRefreshToken: false,
        storage: {
          getItem: (key) => stored.get(key) ?? null,
          setItem: (key, value) => void stored.set(key, value),
          removeItem: (key) => void stored.delete(key),
        },
      },
      fetch: (input, init) => {
        const url = String(input instanceof Request ? input.url : input)
        if (url.includes('/rest/v1/')) sent.push(new Headers(init?.headers).get('authorization') ?? '')
        return fetch(input, init)
      },
    })
    await signUpConfirmed(gw, `refresh+${Date.now()}@example.com`)
    const before = (await gw.auth.getSession()).data.session
    expect((await gw.from('lists').select('id')).error).toBeNull()
    expect(sent.at(-1)).toBe(`Bearer ${before?.access_token}`)

    // Age the stored session past its expiry, as an hour of sleep would.
    const [storageKey, raw] = [...stored.entries()].find(([key]) => key.endsWith('-auth-token')) ?? []
    const session = JSON.parse(raw as string) as { expires_at: number }
    session.expires_at = Math.floor(Date.now() / 1000) - 10
    stored.set(storageKey as string, JSON.stringify(session))

    const after = await gw.from('lists').select('id')
    expect(after.error).toBeNull()
    // A refresh rotates the refresh token (the access token may be byte-identical within a second).
    const refreshed = (await gw.auth.getSession()).data.session
    expect(refreshed?.refresh_token).toBeTruthy()
    expect(refreshed?.refresh_token).not.toBe(before?.refresh_token)
    expect(refreshed?.expires_at).toBeGreaterThan(Date.now() / 1000)
    expect(sent.at(-1)).toBe(`Bearer ${refreshed?.access_token}`)
  })

  it('composes modules on their own over a connection (no auth module: the key is the token)', async () => {
    const connection = createConnection(stack.url, stack.serviceRoleKey)
    const rest = createRestClient(connection)
    const lists = await rest.from('lists').select('title').eq('is_public', true)
    expect(lists.data).toEqual([{ title: 'Welcome to Groundwork' }])
    const realtime = createRealtime(connection)
    const seen: RealtimeChange[] = []
    const statuses: RealtimeStatus[] = []
    const subscription = realtime.subscribe(
      { table: 'lists' },
      { onChange: (change) => seen.push(change), onStatus: (status) => statuses.push(status) },
    )
    await waitFor(() => (statuses.includes('open') ? true : undefined), 'the stream')
    await rest.from('lists').insert({ title: 'by service', owner_id: '00000000-0000-0000-0000-000000000000' })
    await waitFor(() => seen.find((c) => c.type === 'INSERT'), 'the INSERT')
    subscription.close()
    await subscription.closed
  })
})
