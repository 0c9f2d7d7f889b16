import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { GoTrueAdminApi } from '@supabase/auth-js'
import * as oauth from 'oauth4webapi'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningDemo } from './support/demo-server'
import { startOAuthDemo } from './support/oauth-demo'

/**
 * The demo's consent page in a real browser (the system Chromium, headless): the authorization
 * endpoint sends the browser to it, the user signs in and clicks "Allow", and the browser lands on
 * the client's redirect URI with a code that oauth4webapi redeems. CI installs Chromium
 * (`.ci/run`); without /usr/bin/chromium the test is skipped, saying so.
 */
const CHROMIUM = '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
if (!hasChromium)
  console.warn(`oauth consent browser test skipped: ${CHROMIUM} is missing (apt-get install chromium)`)

describe.skipIf(!hasChromium)('consent page in headless Chromium', () => {
  let demo: RunningDemo
  let browser: Browser
  let callback: Server
  let redirectUri: string

  beforeAll(async () => {
    demo = await startOAuthDemo()
    callback = createServer((_req, res) => res.end('signed in'))
    callback.listen(0, '127.0.0.1')
    await once(callback, 'listening')
    redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless'] })
  })

  afterAll(async () => {
    await browser?.close()
    callback?.close()
    await demo?.stop()
  })

  it('signs in, consents and lands on the redirect URI with a code oauth4webapi redeems', async () => {
    const issuer = new URL(`${demo.url}/auth/v1`)
    const insecure = { [oauth.allowInsecureRequests]: true } as const
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }),
    )
    const admin = new GoTrueAdminApi({
      url: issuer.href,
      headers: { apikey: demo.serviceRoleKey, Authorization: `Bearer ${demo.serviceRoleKey}` },
    })
    await admin.createUser({
      email: 'browser@example.com',
      password: 'browser-password-1',
      email_confirm: true,
    })
    const { data: registered } = await admin.oauth.createClient({
      client_name: 'Browser App',
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'none',
    })
    const client: oauth.Client = { client_id: registered?.client_id as string }
    const verifier = oauth.generateRandomCodeVerifier()
    const state = oauth.generateRandomState()
    const url = new URL(as.authorization_endpoint as string)
    url.search = new URLSearchParams({
      client_id: client.client_id,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid email',
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString()

    const page = await browser.newPage()
    await page.goto(url.href)
    await page.waitForURL(/\/oauth\/consent\?authorization_id=/)
    await page.fill('#email', 'browser@example.com')
    await page.fill('#password', 'browser-password-1')
    await page.click('#sign-in-button')
    await page.waitForSelector('#consent:not([hidden])')
    expect(await page.textContent('#client-name')).toBe('Browser App')
    expect(await page.locator('#scopes li').allTextContents()).toEqual(['openid', 'email'])
    await Promise.all([page.waitForURL((u) => u.href.startsWith(redirectUri)), page.click('#approve')])
    const landed = new URL(page.url())
    expect(landed.searchParams.get('iss')).toBe(issuer.href)

    const params = oauth.validateAuthResponse(as, client, landed, state)
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      params,
      redirectUri,
      verifier,
      insecure,
    )
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
      requireIdToken: true,
    })
    expect(oauth.getValidatedIdTokenClaims(tokens)?.email).toBe('browser@example.com')
    await page.close()
  })
})
