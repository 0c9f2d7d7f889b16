import { createDatabase, type GroundworkService } from '@groundwork/core'
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest'
import type { StorageApi } from './api'
import { localBackend } from './backends/local'
import { createStorage, type Storage } from './create-storage'

// A Database whose pool never connects: creating the service needs no server.
const db = createDatabase({ connectionString: 'postgres://nobody@127.0.0.1:1/none' })
afterAll(() => db.close())
const authenticate = async () => ({ kind: 'anonymous' as const, role: 'anon', claims: { role: 'anon' } })

describe('createStorage', () => {
  it('returns a GroundworkService whose tasks are the storage jobs', async () => {
    expectTypeOf<Storage>().toExtend<GroundworkService<StorageApi>>()
    const storage = createStorage({
      db,
      authenticate,
      signingSecret: 's'.repeat(32),
      backend: localBackend({ root: '/tmp/never-written' }),
    }) satisfies GroundworkService
    expect(storage.name).toBe('storage')
    expect(storage.migrations.name).toBe('storage')
    expect(storage.tasks.map((task) => task.name)).toEqual([
      'storage:delete-versions',
      'storage:delete-keys',
      'storage:delete-prefix',
      'storage:move-prefix',
      'storage:cleanup',
    ])
    await storage.close()
    await storage.close()
  })

  it('names the bad option', () => {
    expect(() => createStorage({ db, authenticate, signingSecret: 'short' })).toThrow(/signingSecret/)
    expect(() =>
      createStorage({ db, authenticate, signingSecret: 's'.repeat(32), fileSizeLimit: -1 }),
    ).toThrow(/fileSizeLimit/)
  })

  it('answers unknown routes and malformed paths in Storage’s error format, with no database', async () => {
    const storage = createStorage({
      db,
      authenticate,
      signingSecret: 's'.repeat(32),
      backend: localBackend({ root: '/tmp/x' }),
    })
    const missing = await storage.handler(new Request('http://x/nope'))
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({
      statusCode: '404',
      code: 'NotFound',
      error: 'Not Found',
      message: 'Route GET:/nope not found',
    })
    const method = await storage.handler(new Request('http://x/bucket', { method: 'PATCH' }))
    expect(method.status).toBe(405)
    expect(method.headers.get('allow')).toBe('GET, POST')
    const encoded = await storage.handler(new Request('http://x/object/docs/a%2Fb'))
    expect(await encoded.json()).toMatchObject({ statusCode: '400', code: 'InvalidKey' })
    const head = await storage.handler(new Request('http://x/object/docs/%zz', { method: 'HEAD' }))
    expect(head.status).toBe(400)
    expect(await head.text()).toBe('')
  })
})
