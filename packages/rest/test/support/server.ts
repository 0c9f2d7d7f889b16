/**
 * Integration harness: a fresh database with the fixture schema, the REST service served on a real
 * node:http server under `/rest/v1` (as in a Supabase project) through core's `toNodeHandler`,
 * and `@supabase/postgrest-js` clients for each kind of caller.
 */
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createJwtAuthenticator } from '@groundwork/core'
import { toNodeHandler } from '@groundwork/core/node'
import { createTestDatabase, signTestToken, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import { PostgrestClient } from '@supabase/postgrest-js'
import { createRest, type RestOptions } from '../../src/index'

/** The seeded users (see fixtures/schema.sql). */
export const USERS = {
  alice: '00000000-0000-4000-8000-00000000000a',
  bob: '00000000-0000-4000-8000-00000000000b',
  carol: '00000000-0000-4000-8000-00000000000c',
} as const

/** Where the service is mounted on the test server, as in a Supabase project. */
export const MOUNT = '/rest/v1'

type Rest = ReturnType<typeof createRest>

/** An untyped client that admits PostgREST 13 features (`maxAffected`). */
// biome-ignore lint/suspicious/noExplicitAny: the fixture has no generated Database types.
export type Client = PostgrestClient<any, { PostgrestVersion: '13' }>

export interface RestHarness {
  test: TestDatabase
  rest: Rest
  /** `http://127.0.0.1:<port>/rest/v1` */
  url: string
  tokens: { anon: string; alice: string; bob: string; carol: string; service: string }
  /** postgrest-js clients sending the anon key only, or a user's/the service role's token. */
  anon: Client
  alice: Client
  bob: Client
  carol: Client
  service: Client
  /** A raw `fetch` against the mounted service; `as` picks the caller (default anon). */
  request(path: string, init?: RequestInit & { as?: keyof RestHarness['tokens'] }): Promise<Response>
  close(): Promise<void>
}

/** The fixtures: the to-do/films app (default) and the Supabase-style app postgrest-js is tested with. */
const FIXTURES = {
  app: new URL('../fixtures/schema.sql', import.meta.url),
  supabase: new URL('../fixtures/supabase-app.sql', import.meta.url),
} as const

/** Applies a fixture schema to a test database. */
export async function applyFixture(
  test: TestDatabase,
  fixture: keyof typeof FIXTURES = 'app',
): Promise<void> {
  await test.db.query(await readFile(FIXTURES[fixture], 'utf8'))
}

/** Starts the whole stack for one test file. Close it in `afterAll`. */
export async function startRest(
  options: Partial<RestOptions> = {},
  harness: { fixture?: keyof typeof FIXTURES } = {},
): Promise<RestHarness> {
  const test = await createTestDatabase()
  await applyFixture(test, harness.fixture)
  const rest = createRest({
    db: test.db,
    authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
    schemas: ['public'],
    ...options,
  } as RestOptions)
  // core's production adapter, mounted under /rest/v1 as in a Supabase project.
  const server = createServer(toNodeHandler(rest.handler, { basePath: MOUNT }))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${MOUNT}`

  const tokens = {
    anon: await signTestToken({ role: 'anon' }),
    alice: await signTestToken({ role: 'authenticated', sub: USERS.alice }),
    bob: await signTestToken({ role: 'authenticated', sub: USERS.bob }),
    carol: await signTestToken({ role: 'authenticated', sub: USERS.carol }),
    service: await signTestToken({ role: 'service_role' }),
  }
  // supabase-js sends the anon key as `apikey` and the session's token (or the key) as Bearer.
  const client = (token: string): Client =>
    new PostgrestClient(url, { headers: { apikey: tokens.anon, Authorization: `Bearer ${token}` } })

  return {
    test,
    rest,
    url,
    tokens,
    anon: client(tokens.anon),
    alice: client(tokens.alice),
    bob: client(tokens.bob),
    carol: client(tokens.carol),
    service: client(tokens.service),
    request(path, init = {}) {
      const { as = 'anon', ...rest } = init
      const headers = new Headers(rest.headers)
      if (!headers.has('authorization')) headers.set('authorization', `Bearer ${tokens[as]}`)
      return fetch(`${url}${path}`, { ...rest, headers })
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())))
      await (rest as { close?: () => Promise<void> }).close?.()
      await test.drop()
    },
  }
}
