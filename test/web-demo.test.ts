/**
 * The demo's browser todo app (`examples/web`, built with Vite and served by the demo at `/`) in
 * headless Chromium, with two browser contexts for two tabs of one user: sign up, open the
 * confirmation link from the dev mailbox, add / edit / delete todos under RLS, watch the other
 * tab's changes arrive over SSE, attach a file through storage; then connect a third-party app
 * through the demo's OAuth consent page and revoke it under "Connected apps". A screenshot of
 * each step is kept in `test/artifacts/web-demo/`. CI installs Chromium (`.ci/run`); without
 * /usr/bin/chromium the test is skipped, saying so.
 */
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { OAUTH_CONSENT_PATH } from '@groundwork/example-express'
import { GoTrueAdminApi } from '@supabase/auth-js'
import * as oauth from 'oauth4webapi'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningDemo } from './support/demo-server'
import { startOAuthDemo } from './support/oauth-demo'

const CHROMIUM = '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
if (!hasChromium)
  console.warn(`web demo browser test skipped: ${CHROMIUM} is missing (apt-get install chromium)`)

const WEB = fileURLToPath(new URL('../examples/web/', import.meta.url))
const ARTIFACTS = fileURLToPath(new URL('./artifacts/web-demo/', import.meta.url))

describe.skipIf(!hasChromium)('the todo app in headless Chromium', () => {
  let stack: RunningDemo
  let browser: Browser
  // The third-party app's redirect URI, so the browser has somewhere to land after consent.
  let callback: Server
  let redirectUri: string

  beforeAll(async () => {
    // Vite build of examples/web (about a second); the demo serves dist/ when it exists.
    await promisify(execFile)(
      process.execPath,
      [`${WEB}node_modules/vite/bin/vite.js`, 'build', '--logLevel', 'warn'],
      {
        cwd: WEB,
        timeout: 120_000,
      },
    )
    await mkdir(ARTIFACTS, { recursive: true })
    // The OAuth flavour of the demo: its public URL (the issuer, and so the consent page the
    // authorization endpoint redirects to) is the port the test listens on.
    stack = await startOAuthDemo()
    callback = createServer((_request, response) => response.end('connected'))
    callback.listen(0, '127.0.0.1')
    await once(callback, 'listening')
    redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless'] })
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    callback?.close()
    await stack?.stop()
  })

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true })
  const titles = (page: Page) =>
    page.$$eval('li[data-testid=todo] input[name=title]', (inputs) =>
      inputs.map((input) => (input as HTMLInputElement).value),
    )

  async function until(check: () => Promise<boolean>, what: string, timeout = 15_000) {
    const deadline = Date.now() + timeout
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  async function confirmationLink(email: string): Promise<string> {
    let link: string | undefined
    await until(async () => {
      const response = await fetch(`${stack.url}/mail/messages?to=${encodeURIComponent(email)}`, {
        headers: { authorization: `Bearer ${stack.serviceRoleKey}` },
      })
      const { items } = (await response.json()) as { items: { html: string }[] }
      link = /href="([^"]+\/verify\?[^"]+)"/.exec(items[0]?.html ?? '')?.[1]?.replaceAll('&amp;', '&')
      return link !== undefined
    }, 'the confirmation mail')
    return link as string
  }

  it('signs up by mail, edits todos under RLS, streams them to a second tab and attaches a file', async () => {
    const email = `browser+${Date.now()}@example.com`
    const password = 'correct horse battery staple'
    const tabA = await (await browser.newContext()).newPage()
    await tabA.goto(stack.url)
    await tabA.waitForSelector('#auth:not([hidden])')
    await shot(tabA, '01-signed-out')

    // Sign up: confirmation required, the mail goes to the dev mailbox.
    await tabA.fill('#auth [name=email]', email)
    await tabA.fill('#auth [name=password]', password)
    await tabA.click('#auth button[value=sign-up]')
    await tabA.waitForFunction(() =>
      document.querySelector('#message')?.textContent?.includes('confirmation link'),
    )
    await shot(tabA, '02-check-your-mail')

    // The confirmation link signs the browser in (tokens in the URL fragment, picked up by auth-js).
    // (The test demo's mail links name the host it was created with: keep only the query.)
    await tabA.goto(`${stack.url}/auth/v1/verify${new URL(await confirmationLink(email)).search}`)
    await tabA.waitForSelector('#app:not([hidden])')
    expect(await tabA.textContent('#user')).toBe(email)
    expect(await tabA.isVisible('#auth')).toBe(false)
    await shot(tabA, '03-signed-in')

    // Add, edit, complete.
    await tabA.fill('#add [name=title]', 'Buy milk')
    await tabA.click('#add button')
    await until(async () => (await titles(tabA)).includes('Buy milk'), 'the new todo')
    const first = tabA.locator('li[data-testid=todo]').first()
    await first.locator('input[name=title]').fill('Buy oat milk')
    await first.locator('input[name=title]').blur()
    await first.locator('input[name=done]').check()
    await until(async () => (await first.getAttribute('class')) === 'done', 'the todo marked done')
    // The server has it, owned through the user's list (RLS allowed the writes).
    const { rows } = await stack.database.db.query<{ title: string; done: boolean; email: string }>(
      `select t.title, t.done, u.email from public.todos t join public.lists l on l.id = t.list_id
         join auth.users u on u.id = l.owner_id where u.email = $1`,
      [email],
    )
    expect(rows).toEqual([{ title: 'Buy oat milk', done: true, email }])
    await shot(tabA, '04-edited')

    // A second tab (another browser context) of the same user sees the list …
    const tabB = await (await browser.newContext()).newPage()
    await tabB.goto(stack.url)
    await tabB.fill('#auth [name=email]', email)
    await tabB.fill('#auth [name=password]', password)
    await tabB.click('#auth button[value=sign-in]')
    await until(async () => (await titles(tabB)).includes('Buy oat milk'), 'the list in the second tab')
    await tabB.waitForFunction(() => document.querySelector('#live')?.getAttribute('data-status') === 'open')
    await shot(tabB, '05-second-tab')

    // … and the first tab's changes arrive live, over SSE.
    await tabA.fill('#add [name=title]', 'Walk the dog')
    await tabA.click('#add button')
    await until(async () => (await titles(tabB)).includes('Walk the dog'), 'the insert in the second tab')
    await tabA.locator('li[data-testid=todo]').first().locator('button[name=delete]').click()
    await until(async () => !(await titles(tabB)).includes('Buy oat milk'), 'the delete in the second tab')
    expect(await titles(tabB)).toEqual(['Walk the dog'])
    await shot(tabB, '06-live-in-second-tab')

    // Attach a file to the remaining todo: into the user's own folder of the attachments bucket.
    const todo = tabA.locator('li[data-testid=todo]').first()
    await todo.locator('input[name=attach]').setInputFiles({
      name: 'note.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('remember the leash'),
    })
    await until(
      async () => ((await todo.locator('[data-testid=files]').textContent()) ?? '').includes('note.txt'),
      'the attachment',
    )
    const objects = await stack.database.db.query<{ name: string; owner_id: string }>(
      `select o.name, o.owner_id from storage.objects o where o.bucket_id = 'attachments' and o.name like '%/note.txt'`,
    )
    expect(objects.rows).toHaveLength(1)
    expect(objects.rows[0]?.name).toMatch(/^[0-9a-f-]{36}\/\d+\/note\.txt$/)
    await shot(tabA, '07-attached')
  }, 120_000)

  it('lists an app connected through the consent page under "Connected apps" and revokes it', async () => {
    const email = `connected+${Date.now()}@example.com`
    const password = 'correct horse battery staple'
    const admin = new GoTrueAdminApi({
      url: `${stack.url}/auth/v1`,
      headers: { apikey: stack.serviceRoleKey, Authorization: `Bearer ${stack.serviceRoleKey}` },
    })
    expect((await admin.createUser({ email, password, email_confirm: true })).error).toBeNull()
    const registered = await admin.oauth.createClient({
      client_name: 'Todo Exporter',
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'none',
    })
    expect(registered.error).toBeNull()
    const clientId = registered.data?.client_id as string

    // The third-party app sends the browser to the authorization endpoint (PKCE), which sends it
    // on to the demo's consent page; the user signs in there and allows.
    const verifier = oauth.generateRandomCodeVerifier()
    const state = oauth.generateRandomState()
    const authorize = new URL(`${stack.url}/auth/v1/oauth/authorize`)
    authorize.search = new URLSearchParams({
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid email',
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString()
    const consent = await (await browser.newContext()).newPage()
    await consent.goto(authorize.href)
    await consent.waitForURL((url) => url.pathname === OAUTH_CONSENT_PATH)
    await consent.fill('#email', email)
    await consent.fill('#password', password)
    await consent.click('#sign-in-button')
    await consent.waitForSelector('#consent:not([hidden])')
    expect(await consent.textContent('#client-name')).toBe('Todo Exporter')
    await shot(consent, '08-consent')
    await Promise.all([
      consent.waitForURL((url) => url.href.startsWith(redirectUri)),
      consent.click('#approve'),
    ])
    const landed = new URL(consent.url())
    expect(landed.searchParams.get('state')).toBe(state)
    // The app redeems its code and refreshes once: it holds a working refresh token for the user.
    const token = (params: Record<string, string>) =>
      fetch(`${stack.url}/auth/v1/oauth/token`, { method: 'POST', body: new URLSearchParams(params) })
    const issued = await token({
      grant_type: 'authorization_code',
      code: landed.searchParams.get('code') as string,
      redirect_uri: redirectUri,
      client_id: clientId,
      code_verifier: verifier,
    })
    expect(issued.status).toBe(200)
    const first = (await issued.json()) as { refresh_token: string }
    const refreshed = await token({
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      client_id: clientId,
    })
    expect(refreshed.status).toBe(200)
    const { refresh_token } = (await refreshed.json()) as { refresh_token: string }

    // The todo app lists the grant under "Connected apps" …
    const tab = await (await browser.newContext()).newPage()
    await tab.goto(stack.url)
    await tab.fill('#auth [name=email]', email)
    await tab.fill('#auth [name=password]', password)
    await tab.click('#auth button[value=sign-in]')
    await tab.waitForSelector('#app:not([hidden])')
    const grant = tab.locator('li[data-testid=grant]')
    await grant.waitFor()
    expect(await grant.getAttribute('data-client-id')).toBe(clientId)
    expect(await grant.locator('strong').textContent()).toBe('Todo Exporter')
    expect(await grant.locator('.scopes').textContent()).toBe('openid, email')
    expect(await grant.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}T/)
    await shot(tab, '09-connected-apps')

    // … and "Revoke" ends it: gone from the list, and the app's refresh token is refused.
    await grant.locator('button[name=revoke]').click()
    await tab.waitForSelector('#no-grants:not([hidden])')
    expect(await tab.locator('li[data-testid=grant]').count()).toBe(0)
    const refused = await token({ grant_type: 'refresh_token', refresh_token, client_id: clientId })
    expect(refused.status).toBe(400)
    await shot(tab, '10-revoked')
  }, 120_000)
})
