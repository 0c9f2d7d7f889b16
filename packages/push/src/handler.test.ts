import type { Principal } from '@groundwork/core'
import { describe, expect, it } from 'vitest'
import type { PushApi } from './create-push'
import { createPushHandler } from './handler'

const notCalled = () => {
  throw new Error('the api must not be reached')
}
const api = {
  devices: {
    register: notCalled,
    list: notCalled,
    get: notCalled,
    delete: notCalled,
    subscribe: notCalled,
    unsubscribe: notCalled,
  },
  send: notCalled,
  notification: notCalled,
} as unknown as PushApi

function handler(authenticate?: (request: Request) => Promise<Principal>) {
  return createPushHandler({
    api,
    authenticate,
    serviceRole: 'service_role',
    basePath: '/push/v1',
    limits: { maxBytes: 1024 },
    cors: ['https://app.example.com'],
  })
}

describe('push handler', () => {
  it('is closed without authenticate', async () => {
    const response = await handler()(new Request('http://localhost/push/v1/devices'))
    expect(response.status).toBe(403)
    expect(await response.json()).toMatchObject({ code: 'PUSH_FORBIDDEN' })
  })

  it('routes under its base path and answers 404/405 in its own JSON', async () => {
    const anon = async (): Promise<Principal> => ({
      kind: 'anonymous',
      role: 'anon',
      claims: { role: 'anon' },
    })
    const missing = await handler(anon)(new Request('http://localhost/push/v1/nope'))
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ code: 'HTTP_NOT_FOUND' })
    const wrong = await handler(anon)(new Request('http://localhost/push/v1/send', { method: 'GET' }))
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('allow')).toBe('POST')
  })

  it('refuses a send before reading its body when the caller may not send', async () => {
    const user = async (): Promise<Principal> => ({
      kind: 'jwt',
      role: 'authenticated',
      claims: { role: 'authenticated', sub: 'u' },
    })
    const response = await handler(user)(
      new Request('http://localhost/push/v1/send', { method: 'POST', body: 'x'.repeat(10_000) }),
    )
    expect(response.status).toBe(403)
  })

  it('answers CORS only for the configured origins', async () => {
    const preflight = (origin: string) =>
      handler()(
        new Request('http://localhost/push/v1/devices', {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST' },
        }),
      )
    expect((await preflight('https://app.example.com')).headers.get('access-control-allow-origin')).toBe(
      'https://app.example.com',
    )
    expect((await preflight('https://evil.test')).headers.get('access-control-allow-origin')).toBeNull()
  })
})
