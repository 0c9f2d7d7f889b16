/**
 * Integration harness: a fresh database with PostGIS and the fixture, rest with geo's extension
 * mounted at `/rest/v1` and geo's tile handler at `/geo/v1` on one real node:http server (as in
 * the demo), and `@supabase/postgrest-js` clients for each kind of caller.
 */
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createJwtAuthenticator } from '@groundwork/core'
import { toNodeHandler } from '@groundwork/core/node'
import { createRest, type Rest, type RestOptions } from '@groundwork/rest'
import { createTestDatabase, signTestToken, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import { PostgrestClient } from '@supabase/postgrest-js'
import { createGeo, type Geo } from '../../src/index'

export const USERS = {
  alice: '00000000-0000-4000-8000-00000000000a',
  bob: '00000000-0000-4000-8000-00000000000b',
} as const

// biome-ignore lint/suspicious/noExplicitAny: the fixture has no generated Database types.
export type Client = PostgrestClient<any>

export interface GeoHarness {
  test: TestDatabase
  rest: Rest
  geo: Geo
  /** `http://127.0.0.1:<port>` */
  origin: string
  tokens: { anon: string; alice: string; bob: string; service: string }
  anon: Client
  alice: Client
  bob: Client
  /** `fetch` against `/rest/v1` + path; `as` picks the caller (default anon). */
  rest$(path: string, init?: RequestInit & { as?: keyof GeoHarness['tokens'] }): Promise<Response>
  /** `fetch` against `/geo/v1` + path. */
  geo$(path: string, init?: RequestInit & { as?: keyof GeoHarness['tokens'] }): Promise<Response>
  close(): Promise<void>
}

/** Starts rest + geo on a fresh PostGIS database. */
export async function startGeo(options: Partial<RestOptions> = {}): Promise<GeoHarness> {
  const test = await createTestDatabase()
  try {
    await test.db.query(await readFile(new URL('../fixtures/geo.sql', import.meta.url), 'utf8'))
  } catch (error) {
    // No PostGIS on the test server is a failure, never a skip: CI must install it.
    await test.drop()
    throw error
  }
  const geo = createGeo({ db: test.db, rest: () => rest, basePath: '/geo/v1', requirePostgis: true })
  const rest: Rest = createRest({
    db: test.db,
    authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
    schemas: ['public'],
    extensions: [geo.rest],
    ...options,
  } as RestOptions)
  await geo.start()
  const restHandler = toNodeHandler(rest.handler, { basePath: '/rest/v1' })
  const geoHandler = toNodeHandler(geo.handler)
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/geo/v1/')) return void geoHandler(req, res)
    return void restHandler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const tokens = {
    anon: await signTestToken({ role: 'anon' }),
    alice: await signTestToken({ role: 'authenticated', sub: USERS.alice }),
    bob: await signTestToken({ role: 'authenticated', sub: USERS.bob }),
    service: await signTestToken({ role: 'service_role' }),
  }
  const client = (token: string): Client =>
    new PostgrestClient(`${origin}/rest/v1`, {
      headers: { apikey: tokens.anon, Authorization: `Bearer ${token}` },
    })
  const call =
    (prefix: string) =>
    (path: string, init: RequestInit & { as?: keyof GeoHarness['tokens'] } = {}) => {
      const { as = 'anon', ...rest } = init
      const headers = new Headers(rest.headers)
      if (!headers.has('authorization')) headers.set('authorization', `Bearer ${tokens[as]}`)
      return fetch(`${origin}${prefix}${path}`, { ...rest, headers })
    }
  return {
    test,
    rest,
    geo,
    origin,
    tokens,
    anon: client(tokens.anon),
    alice: client(tokens.alice),
    bob: client(tokens.bob),
    rest$: call('/rest/v1'),
    geo$: call('/geo/v1'),
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())))
      await rest.close()
      await geo.close()
      await test.drop()
    },
  }
}
