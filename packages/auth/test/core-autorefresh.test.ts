import { TEST_JWT_SECRET } from '@groundwork/testing'
import { GoTrueClient, type Session } from '@supabase/auth-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BASE, type CoreStack, createCoreStack, memoryStorage, ORIGIN } from './core-support'

let stack: CoreStack

beforeAll(async () => {
  // 60 s tokens are inside auth-js' refresh margin, so its first auto-refresh tick refreshes.
  stack = await createCoreStack({ jwt: { secret: TEST_JWT_SECRET, expiresIn: 60 } })
})
afterAll(async () => {
  await stack.close()
})

describe('auth-js auto refresh', () => {
  it('refreshes an expiring session on its own (TOKEN_REFRESHED) with a rotated refresh token', async () => {
    const client = new GoTrueClient({
      url: `${ORIGIN}${BASE}`,
      headers: { apikey: stack.anonKey },
      storage: memoryStorage(),
      storageKey: 'sb-autorefresh',
      autoRefreshToken: true,
      persistSession: true,
      fetch: stack.fetch,
    })
    await client.signUp({ email: 'auto@example.com', password: 'correct horse' })
    const first = (await client.getSession()).data.session as Session
    expect(first.expires_in).toBeLessThanOrEqual(60)
    const refreshed = new Promise<Session>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no TOKEN_REFRESHED within 20 s')), 20_000)
      client.onAuthStateChange((event, session) => {
        if (event === 'TOKEN_REFRESHED' && session) {
          clearTimeout(timer)
          resolve(session)
        }
      })
    })
    await client.startAutoRefresh()
    try {
      const session = await refreshed
      expect(session.refresh_token).not.toBe(first.refresh_token)
      expect((await client.getUser()).data.user?.email).toBe('auto@example.com')
    } finally {
      await client.stopAutoRefresh()
    }
  })
})
