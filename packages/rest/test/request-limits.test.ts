import { postOversizeBody, requestHandler } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RestHarness, startRest } from './support/server'

const LIMIT = 256 * 1024

let h: RestHarness
beforeAll(async () => {
  h = await startRest({ maxBodyBytes: LIMIT })
})
afterAll(async () => {
  await h?.close()
})

describe('request limits', () => {
  it('answers a body 50× the limit with 413 in PostgREST format while it streams, memory flat', async () => {
    const result = await postOversizeBody({
      handler: h.rest.handler,
      path: '/todos',
      limit: LIMIT,
      headers: { authorization: `Bearer ${h.tokens.alice}` },
    })
    expect(result.status).toBe(413)
    expect(result.body).toEqual({
      code: 'PGRST102',
      details: null,
      hint: null,
      message: `The request body is larger than ${LIMIT} bytes`,
    })
    expect(result.sent).toBeLessThan(LIMIT * 50)
    expect(result.rssGrowth).toBeLessThan(20 * 1024 * 1024)
    // Nothing was written.
    const { rows } = await h.test.db.query('select count(*)::int as n from public.todos')
    expect(rows[0]?.n).toBeGreaterThan(0)
  })

  it('refuses JSON nested past maxJsonDepth with 400 PGRST102 before it reaches Postgres', async () => {
    const response = await h.request('/rpc/sum_numbers', {
      as: 'alice',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"payload":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({
      code: 'PGRST102',
      message: 'JSON nested deeper than 128 levels',
    })
  })

  it('refuses a parsed header longer than 8 KiB with 431', async () => {
    const response = await requestHandler(h.rest.handler, '/films', {
      headers: { prefer: `count=exact, ${'x'.repeat(9000)}` },
    })
    expect(response.status).toBe(431)
    expect(await response.json()).toMatchObject({ code: 'PGRST100' })
  })

  it('refuses an encoded slash in a path segment instead of routing it', async () => {
    const response = await requestHandler(h.rest.handler, '/rpc%2Fping')
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ code: 'PGRST125' })
  })
})
