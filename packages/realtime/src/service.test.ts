import { createDatabase, type GroundworkService, type Principal } from '@groundwork/core'
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest'
import type { RealtimeApi } from './api'
import { createRealtime, type Realtime } from './create-realtime'

// A Database whose pool never connects: creating the service needs no server.
const db = createDatabase({ connectionString: 'postgres://nobody@127.0.0.1:1/none' })
afterAll(() => db.close())
const authenticate = async (): Promise<Principal> => ({
  kind: 'anonymous',
  role: 'anon',
  claims: { role: 'anon' },
})

describe('createRealtime', () => {
  it('returns a GroundworkService with stream opening on api', async () => {
    expectTypeOf<Realtime>().toExtend<GroundworkService<RealtimeApi>>()
    expectTypeOf<Realtime['name']>().toEqualTypeOf<'realtime'>()
    expectTypeOf<Realtime>().not.toHaveProperty('stop')
    const realtime = createRealtime({ db, authenticate }) satisfies GroundworkService
    expect(realtime.name).toBe('realtime')
    expect(realtime.migrations.name).toBe('realtime')
    expect(realtime.tasks.map((task) => task.name)).toEqual(['realtime:prune'])
    // Not started: streams are refused before any query.
    await expect(
      realtime.api.openStream(
        { kind: 'anonymous', role: 'anon', claims: { role: 'anon' } },
        { subscriptions: [{ table: 'todos' }], channels: [] },
      ),
    ).rejects.toMatchObject({ code: 'REALTIME_NOT_STARTED' })
    await realtime.close()
    await realtime.close()
  })
})
