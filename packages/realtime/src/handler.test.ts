import { createDatabase, type Principal } from '@groundwork/core'
import { afterAll, describe, expect, it } from 'vitest'
import { createRealtime } from './create-realtime'

// No database is reached by these requests: they fail before any query.
const db = createDatabase({ connectionString: 'postgres://nobody@127.0.0.1:1/none' })
afterAll(() => db.close())
const authenticate = async (): Promise<Principal> => ({
  kind: 'jwt',
  role: 'authenticated',
  claims: { role: 'authenticated', sub: 'u' },
})
const realtime = createRealtime({ db, authenticate, basePath: '/realtime/v1' })
const request = (path: string, init?: RequestInit) =>
  realtime.handler(new Request(`http://localhost${path}`, init))

describe('realtime handler', () => {
  it('routes relative to basePath and answers unknown routes 404 in JSON', async () => {
    const response = await request('/realtime/v1/nope')
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ code: 'HTTP_NOT_FOUND' })
  })

  it('answers 405 for a wrong method', async () => {
    const response = await request('/realtime/v1/stream', { method: 'DELETE' })
    expect(response.status).toBe(405)
    expect(await response.json()).toMatchObject({ code: 'HTTP_METHOD_NOT_ALLOWED' })
  })

  it('validates the subscription before touching the database', async () => {
    const empty = await request('/stream')
    expect(empty.status).toBe(400)
    expect(await empty.json()).toMatchObject({ code: 'REALTIME_INVALID_REQUEST' })
    const badJson = await request('/stream?subscriptions=not-json')
    expect(await badJson.json()).toMatchObject({ code: 'REALTIME_INVALID_REQUEST' })
    const filterWithoutTable = await request('/stream?filter=id=eq.1')
    expect(filterWithoutTable.status).toBe(400)
  })

  it('answers 503 while the service is not started', async () => {
    const response = await request('/stream?table=todos')
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({ code: 'REALTIME_NOT_STARTED' })
  })

  it('rejects invalid options naming the field', () => {
    expect(() => createRealtime({ db, authenticate, bufferSize: 0 })).toThrowError(/bufferSize/)
    expect(() => createRealtime({ db, authenticate, basePath: 'realtime/' })).toThrowError(/basePath/)
  })
})
