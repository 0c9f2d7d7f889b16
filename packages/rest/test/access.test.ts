import { createDatabase, type Principal } from '@groundwork/core'
import { requestHandler } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRest, type Rest } from '../src/index'
import { type RestHarness, startRest } from './support/server'

let h: RestHarness
let rest: Rest
const principals = new Map<string, Principal>()

beforeAll(async () => {
  h = await startRest()
  await h.test.db.query(`
    create function public.gw_key_check(state text) returns void language plpgsql stable as $$
    begin
      if state = 'revoked' then raise sqlstate 'PT401' using message = 'The API key was revoked'; end if;
    end $$;
    grant execute on function public.gw_key_check(text) to anon, authenticated, service_role;`)
  // The principal comes from a header naming it: what an authenticator supplying scopes does.
  rest = createRest({
    db: h.test.db,
    listen: false,
    authenticate: async (request) => {
      const principal = principals.get(request.headers.get('x-principal') ?? '')
      if (!principal) throw new Error('unknown principal')
      return principal
    },
  })
  const service = { kind: 'api-key', role: 'service_role', claims: { role: 'service_role' } } as const
  principals.set('reader', { ...service, scopes: ['read'] })
  principals.set('writer', { ...service, scopes: ['read', 'write'] })
  principals.set('films-only', {
    ...service,
    scopes: ['read'],
    allowedTables: ['public.films', 'public.get_film'],
  })
  principals.set('limited', { ...service, rateLimit: { limit: 100, remaining: 41, reset: 12.2 } })
  principals.set('revoked', {
    ...service,
    checks: [{ text: 'select public.gw_key_check($1)', values: ['revoked'] }],
  })
  principals.set('valid', {
    ...service,
    checks: [{ text: 'select public.gw_key_check($1)', values: ['ok'] }],
  })
})
afterAll(async () => {
  await rest?.close()
  await h?.close()
})

const as = (who: string, path: string, init: Parameters<typeof requestHandler>[2] = {}) =>
  requestHandler(rest.handler, path, { ...init, headers: { 'x-principal': who, ...init.headers } })

describe('scopes', () => {
  it('lets a read-scoped caller read and call functions that are not volatile, and nothing else', async () => {
    expect((await as('reader', '/films?id=eq.1&select=id')).status).toBe(200)
    expect((await as('reader', '/rpc/get_film?film_id=1')).status).toBe(200)
    for (const [path, init] of [
      ['/directors', { method: 'POST', json: { id: 999, name: 'nope' } }],
      ['/films?id=eq.1', { method: 'PATCH', json: { title: 'x' } }],
      ['/films?id=eq.1', { method: 'DELETE' }],
      ['/rpc/log_message', { method: 'POST', json: { message: 'x' } }],
    ] as const) {
      const response = await as('reader', path, init)
      expect(response.status, path).toBe(403)
      expect(await response.json()).toMatchObject({ code: 'CORE_SCOPE_DENIED', details: null, hint: null })
    }
    expect((await as('writer', '/rpc/log_message', { method: 'POST', json: { message: 'x' } })).status).toBe(
      204,
    )
  })
})

describe('allowed tables', () => {
  it('refuses other tables directly, through an embed and as an RPC target', async () => {
    expect((await as('films-only', '/films?id=eq.1&select=id')).status).toBe(200)
    expect((await as('films-only', '/rpc/get_film?film_id=1')).status).toBe(200)
    for (const path of [
      '/directors?select=id',
      '/films?select=id,directors(name)',
      '/rpc/search_films?q=x',
    ]) {
      const response = await as('films-only', path)
      expect(response.status, path).toBe(403)
      expect(await response.json()).toMatchObject({ code: 'CORE_TABLE_DENIED' })
    }
  })
})

describe('principal checks', () => {
  it('refuses a revoked credential in the request transaction itself, on every path', async () => {
    for (const init of [{}, { headers: { prefer: 'timezone=UTC' } }]) {
      const response = await as('revoked', '/films?id=eq.1&select=id', init)
      expect(response.status).toBe(401)
    }
    const write = await as('revoked', '/directors', { method: 'POST', json: { id: 998, name: 'ghost' } })
    expect(write.status).toBe(401)
    const { rows } = await h.test.db.query('select count(*)::int as n from public.directors where id = 998')
    expect(rows[0]?.n).toBe(0)
    expect((await as('valid', '/films?id=eq.1&select=id')).status).toBe(200)
  })

  it('maps a refusing check to 401 CORE_CREDENTIALS_REVOKED in withClaims', async () => {
    const db = createDatabase({ connectionString: h.test.url, max: 1 })
    try {
      await expect(
        db.withClaims({ role: 'anon' }, (tx) => tx.query('select 1'), {
          checks: [{ text: 'select public.gw_key_check($1)', values: ['revoked'] }],
        }),
      ).rejects.toMatchObject({ code: 'CORE_CREDENTIALS_REVOKED', status: 401 })
    } finally {
      await db.close()
    }
  })
})

describe('rate-limit headers', () => {
  it('answers RateLimit-Limit, -Remaining and -Reset for a caller with a budget', async () => {
    const response = await as('limited', '/films?id=eq.1&select=id')
    expect(response.headers.get('ratelimit-limit')).toBe('100')
    expect(response.headers.get('ratelimit-remaining')).toBe('41')
    expect(response.headers.get('ratelimit-reset')).toBe('13')
  })
})
