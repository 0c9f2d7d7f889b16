import { createTestDatabase, signTestToken, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import { GoTrueClient } from '@supabase/auth-js'
import { type Auth, type AuthOptions, createAuth } from '../src/index'

/** Where the handler is mounted in these tests (given as `basePath`, since fetch sees absolute URLs). */
export const BASE = '/auth/v1'
export const ORIGIN = 'http://auth.test'
/** A cheap scrypt cost for tests (the default, N=2^17, is exercised in passwords tests). */
export const TEST_SCRYPT = { N: 2 ** 12, r: 8, p: 1 }

/** A storage for auth-js in Node. */
export function memoryStorage() {
  const items = new Map<string, string>()
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  }
}

/** A cloned database plus an auth service on it, and helpers to drive it with the real auth-js. */
export interface CoreStack {
  t: TestDatabase
  auth: Auth
  anonKey: string
  serviceKey: string
  /** auth-js `fetch` that calls the handler in-process (no socket). */
  fetch: typeof fetch
  client(options?: { storageKey?: string }): GoTrueClient
  /** A raw request to the handler (path relative to the mount point). */
  request(
    method: string,
    path: string,
    init?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>
  close(): Promise<void>
}

export async function createCoreStack(options: Partial<AuthOptions> = {}): Promise<CoreStack> {
  const t = await createTestDatabase()
  const auth = createAuth({
    db: t.db,
    jwt: { secret: TEST_JWT_SECRET },
    siteUrl: 'http://app.test:3000',
    basePath: BASE,
    scrypt: TEST_SCRYPT,
    mailerAutoconfirm: true,
    onError: (error) => console.error('auth 500', error),
    anonymousSignIns: true,
    ...options,
  })
  const anonKey = await signTestToken({ role: 'anon' }, { expiresIn: '10y' })
  const serviceKey = await signTestToken({ role: 'service_role' }, { expiresIn: '10y' })
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) =>
    auth.handler(new Request(input, init))) as typeof fetch
  return {
    t,
    auth,
    anonKey,
    serviceKey,
    fetch: fetchImpl,
    client(opts = {}) {
      return new GoTrueClient({
        url: `${ORIGIN}${BASE}`,
        headers: { apikey: anonKey, Authorization: `Bearer ${anonKey}` },
        storage: memoryStorage(),
        storageKey: opts.storageKey ?? 'sb-test-auth-token',
        autoRefreshToken: false,
        persistSession: true,
        fetch: fetchImpl,
      })
    },
    request(method, path, init = {}) {
      const hasBody = init.body !== undefined
      return auth.handler(
        new Request(`${ORIGIN}${BASE}${path}`, {
          method,
          headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...init.headers },
          ...(hasBody ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
        }),
      )
    },
    async close() {
      await t.drop()
    },
  }
}
