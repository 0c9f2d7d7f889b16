import { createJwtAuthenticator } from '@groundwork/core'
import { requestHandler, TEST_JWT_SECRET } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRest } from '../src/index'
import { type RestHarness, startRest } from './support/server'

let h: RestHarness
beforeAll(async () => {
  h = await startRest()
})
afterAll(async () => {
  await h?.close()
})

describe('one createRest instance', () => {
  it('answers an anon-role token the same through the handler and api.query (401, not 403)', async () => {
    // `anon` has no SELECT on todos: 42501, which PostgREST answers 401 to anonymous callers.
    const headers = { authorization: `Bearer ${h.tokens.anon}` }
    const overHttp = await requestHandler(h.rest.handler, '/todos', { headers })
    const inProcess = await h.rest.api.query({ method: 'GET', path: '/todos', headers })
    expect(overHttp.status).toBe(401)
    expect(inProcess.status).toBe(overHttp.status)
    expect(inProcess.headers['WWW-Authenticate']).toBe('Bearer')
  })

  it('keeps its prepared statement names to itself and renews them when the schema reloads', async () => {
    const authenticate = createJwtAuthenticator({ secret: TEST_JWT_SECRET })
    const one = createRest({ db: h.test.db, authenticate, listen: false })
    const two = createRest({ db: h.test.db, authenticate, listen: false })
    const headers = { authorization: `Bearer ${h.tokens.service}` }
    try {
      await h.test.db.query(`create table public.shape_a (id int primary key, v text);
        insert into public.shape_a values (1, 'a');
        grant all on public.shape_a to service_role`)
      await one.api.reloadSchema()
      await two.api.reloadSchema()
      // Different SQL texts through both instances on one pool: with a shared name space one of
      // them would hit node-postgres' "Prepared statements must be unique".
      for (let i = 0; i < 12; i++) {
        const a = await requestHandler(one.handler, '/shape_a?select=id', { headers })
        const b = await requestHandler(two.handler, '/shape_a?select=v', { headers })
        expect([a.status, b.status]).toEqual([200, 200])
      }
      // Change the column's type: a statement prepared before the reload would now fail with
      // "cached plan must not change result type"; the reload starts new names.
      await h.test.db.query('alter table public.shape_a alter column v type int using 7')
      await one.api.reloadSchema()
      for (let i = 0; i < 12; i++) {
        const response = await requestHandler(one.handler, '/shape_a?select=v', { headers })
        expect(response.status).toBe(200)
        expect(await response.json()).toEqual([{ v: 7 }])
      }
    } finally {
      await one.close()
      await two.close()
    }
  })
})
