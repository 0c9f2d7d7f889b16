import { createJwtAuthenticator } from '@groundwork/core'
import { requestHandler, TEST_JWT_SECRET } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRest } from '../src/index'
import { type RestHarness, startRest } from './support/server'

let h: RestHarness
beforeAll(async () => {
  h = await startRest()
  await h.test.db.query(`
    create function public.nap(seconds float8) returns int language sql volatile as $$ select pg_sleep(seconds); select 1 $$;
    grant execute on function public.nap(float8) to anon, authenticated, service_role;
    create view public.slow_view as select id, public.nap(30) as napped from public.films where id = 1;
    grant select on public.slow_view to service_role;`)
  await h.rest.api.reloadSchema()
})
afterAll(async () => {
  await h?.close()
})

async function activeNaps(): Promise<number> {
  const { rows } = await h.test.db.query<{ n: number }>(
    "select count(*)::int as n from pg_stat_activity where state = 'active' and query like '%nap%' and query not like '%pg_stat_activity%'",
  )
  return rows[0]?.n ?? 0
}

describe('query cost', () => {
  it('refuses more embedded resources than maxEmbeds, before any SQL runs', async () => {
    const select = Array.from({ length: 51 }, (_, i) => `d${i}:directors(id)`).join(',')
    const response = await h.request(`/films?select=id,${select}`)
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({
      code: 'PGRST100',
      message: expect.stringMatching(/51 embedded/),
    })
    const fifty = Array.from({ length: 50 }, (_, i) => `d${i}:directors(id)`).join(',')
    expect((await h.request(`/films?select=id,${fifty}&limit=1`)).status).toBe(200)
  })

  it('refuses embedding nested deeper than maxEmbedDepth', async () => {
    const nested = `${'films(directors('.repeat(6)}id${'))'.repeat(6)}`
    const response = await h.request(`/directors?select=id,${nested}`)
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({
      code: 'PGRST100',
      message: expect.stringMatching(/12 levels deep/),
    })
  })

  it("stops an anonymous query at anon's statement_timeout (3 s)", async () => {
    const started = Date.now()
    const response = await h.request('/rpc/nap?seconds=10')
    expect(response.status).toBe(500)
    expect(await response.json()).toMatchObject({ code: '57014' })
    expect(Date.now() - started).toBeLessThan(6000)
  })

  it('cancels the backend query when the client goes away (read, RPC over GET and POST)', async () => {
    for (const path of ['/slow_view?select=napped', '/rpc/nap?seconds=30', '/rpc/nap']) {
      const controller = new AbortController()
      const init: RequestInit & { as: 'service' } =
        path === '/rpc/nap'
          ? {
              as: 'service',
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: '{"seconds":30}',
            }
          : { as: 'service' }
      const pending = h.request(path, { ...init, signal: controller.signal }).catch(() => null)
      for (let i = 0; i < 50 && (await activeNaps()) === 0; i++) await new Promise((r) => setTimeout(r, 50))
      expect(await activeNaps()).toBe(1)
      controller.abort()
      await pending
      let remaining = 1
      for (let i = 0; i < 40 && remaining > 0; i++) {
        await new Promise((r) => setTimeout(r, 50))
        remaining = await activeNaps()
      }
      expect(remaining).toBe(0)
    }
  })
})

describe('OpenAPI root document', () => {
  it('lists only what the caller may use (PostgREST openapi-mode = follow-privileges)', async () => {
    const paths = async (as: 'anon' | 'alice') =>
      Object.keys(((await (await h.request('/', { as })).json()) as { paths: object }).paths)
    const anon = await paths('anon')
    expect(anon).toContain('/films')
    expect(anon).not.toContain('/todos')
    expect(await paths('alice')).toContain('/todos')
  })

  it('lists everything with openapiMode: ignore-privileges', async () => {
    const rest = createRest({
      db: h.test.db,
      authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
      openapiMode: 'ignore-privileges',
      listen: false,
    })
    try {
      const doc = (await (await requestHandler(rest.handler, '/')).json()) as { paths: object }
      expect(Object.keys(doc.paths)).toContain('/todos')
    } finally {
      await rest.close()
    }
  })
})
