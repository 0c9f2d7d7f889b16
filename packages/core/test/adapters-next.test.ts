/**
 * `toNextJsHandler` in a real Next.js 16 App Router app built with `next build` (skipped when its
 * inputs did not change since the last build; ~30 s cold on 2 cores) and served by Next's
 * production server (`next({ dev: false })`) in this process on a random port; plus the
 * exported functions called directly.
 */
import { ConfigError } from '@groundwork/core'
import { describe, expect, it } from 'vitest'
import { toNextJsHandler } from '../src/next'
import { nextAdapterContract } from './adapters-next-support'

nextAdapterContract('production')

describe('toNextJsHandler without a server', () => {
  it('maps every method to the same handler and strips basePath', async () => {
    const seen: string[] = []
    const routes = toNextJsHandler(
      async (request) => {
        seen.push(`${request.method} ${new URL(request.url).pathname}`)
        return new Response(null, { status: 204 })
      },
      { basePath: '/auth/v1/' },
    )
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const) {
      const response = await routes[method](new Request('http://x/auth/v1/user', { method }))
      expect(response.status).toBe(204)
    }
    expect(seen).toEqual(
      ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].map((m) => `${m} /user`),
    )
  })

  it('rejects a basePath without a leading slash, naming the field', () => {
    expect(() => toNextJsHandler(async () => new Response(), { basePath: 'api' })).toThrow(ConfigError)
    expect(() => toNextJsHandler(async () => new Response(), { basePath: 'api' })).toThrow(
      /toNextJsHandler\.basePath/,
    )
  })
})
