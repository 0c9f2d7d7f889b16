import { HOSTILE } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CoreStack, createCoreStack } from './core-support'

// With the demo's allow-list (`http://localhost:*/**`), `*` once matched `x@[2001:db8::1]`: a
// verify link then delivered `#access_token=…` to another host. Links must land on the site URL
// or an allowed host, whatever `redirect_to` says.

const SITE = 'http://app.test:3000'
let stack: CoreStack
const mailed: string[] = []
beforeAll(async () => {
  stack = await createCoreStack({
    siteUrl: SITE,
    additionalRedirectUrls: ['http://localhost:*/**', 'http://127.0.0.1:*/**'],
    mailerAutoconfirm: false,
    mail: {
      async send(_tx, message) {
        mailed.push(message.variables.confirmation_url as string)
      },
    },
    rateLimits: { emailFrequencySeconds: 0, emailSent: false },
  })
  await stack.auth.api.admin.createUser({ email: 'victim@example.com', email_confirm: true })
})
afterAll(async () => {
  await stack.close()
})

/** Follows a magic link for the victim with `redirect_to`; answers where the tokens went. */
async function followMagicLink(redirectTo: string): Promise<URL> {
  const { properties } = await stack.auth.api.admin.generateLink({
    type: 'magiclink',
    email: 'victim@example.com',
  })
  const query = new URLSearchParams({
    token: properties.hashed_token,
    type: 'magiclink',
    redirect_to: redirectTo,
  })
  const response = await stack.request('GET', `/verify?${query}`)
  expect(response.status).toBe(303)
  return new URL(response.headers.get('location') ?? '')
}

describe('verify links deliver tokens only to allowed hosts', () => {
  it.each([...HOSTILE.redirectUrls, 'http://localhost:3000\\@evil.test', 'http://localhost.:3000/'])(
    'sends the session for redirect_to=%s to the site URL',
    async (redirectTo) => {
      const location = await followMagicLink(redirectTo)
      expect(location.origin).toBe(SITE)
      expect(location.username).toBe('')
      expect(location.hash).toContain('access_token=')
    },
  )

  it('still follows an allowed redirect_to (any local port, any path)', async () => {
    const location = await followMagicLink('http://localhost:5173/auth/callback')
    expect(`${location.origin}${location.pathname}`).toBe('http://localhost:5173/auth/callback')
    expect(location.hash).toContain('access_token=')
  })

  it('mails links whose redirect_to is the site URL when the requested one is refused', async () => {
    mailed.length = 0
    const response = await stack.request(
      'POST',
      '/recover?redirect_to=http%3A%2F%2Flocalhost%3Ax%40intranet%2F',
      {
        body: { email: 'victim@example.com' },
      },
    )
    expect(response.status).toBe(200)
    expect(mailed).toHaveLength(1)
    expect(new URL(mailed[0] as string).searchParams.get('redirect_to')).toBe(SITE)
  })
})
