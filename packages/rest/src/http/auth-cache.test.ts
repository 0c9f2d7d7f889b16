import type { Principal } from '@groundwork/core'
import { describe, expect, it } from 'vitest'
import { cachedAuthenticate } from './auth-cache'

function request(authorization?: string): Request {
  return new Request('http://x/', { headers: authorization ? { authorization } : {} })
}

describe('cachedAuthenticate', () => {
  it('reuses results per credentials, never past exp, and never caches failures or anonymous calls', async () => {
    let calls = 0
    const now = Math.floor(Date.now() / 1000)
    const authenticate = async (req: Request): Promise<Principal> => {
      calls++
      const token = req.headers.get('authorization')
      if (token === 'Bearer bad') throw new Error('invalid')
      const exp = token === 'Bearer expiring' ? now - 1 : now + 3600
      return {
        kind: token ? 'jwt' : 'anonymous',
        role: 'authenticated',
        claims: { role: 'authenticated', exp },
      }
    }
    const cached = cachedAuthenticate(authenticate, 60)
    await cached(request('Bearer a'))
    await cached(request('Bearer a'))
    expect(calls).toBe(1)
    await cached(request('Bearer b'))
    expect(calls).toBe(2)
    await cached(request('Bearer expiring'))
    await cached(request('Bearer expiring'))
    expect(calls).toBe(4)
    await expect(cached(request('Bearer bad'))).rejects.toThrow()
    await expect(cached(request('Bearer bad'))).rejects.toThrow()
    expect(calls).toBe(6)
    await cached(request())
    await cached(request())
    expect(calls).toBe(8)
    expect(cachedAuthenticate(authenticate, 0)).toBe(authenticate)
  })
})
