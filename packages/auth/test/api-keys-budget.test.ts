/**
 * One app budget, two instances: two `createAuth`s, each with its own pool on one database,
 * driven concurrently. Leases taken from `auth.api_usage` never add up to more than the limit, and
 * under load nearly all of it is admitted (docs/auth.md#rate-limits-of-apps-and-keys).
 */
import { createDatabase, type Database } from '@groundwork/core'
import { createTestDatabase, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Auth, createAuth } from '../src/index'

let t: TestDatabase
const pools: Database[] = []
const instances: Auth[] = []

beforeAll(async () => {
  t = await createTestDatabase()
  for (let i = 0; i < 2; i++) {
    const db = createDatabase({ connectionString: t.url, max: 4 })
    pools.push(db)
    instances.push(createAuth({ db, jwt: { secret: TEST_JWT_SECRET } }))
  }
})
afterAll(async () => {
  await Promise.all(instances.map((auth) => auth.close()))
  await Promise.all(pools.map((db) => db.close()))
  await t?.drop()
})

/** Counts the lease upserts both instances send from now on. */
function countLeaseRequests(): { count(): number; stop(): void } {
  let count = 0
  const originals = pools.map((db) => db.query)
  for (const db of pools) {
    const query = db.query
    ;(db as { query: Database['query'] }).query = ((text: string, values?: unknown[]) => {
      if (typeof text === 'string' && text.includes('insert into auth.api_usage')) count++
      return query(text, values)
    }) as Database['query']
  }
  return {
    count: () => count,
    stop: () => {
      for (const [i, db] of pools.entries()) Object.assign(db, { query: originals[i] })
    },
  }
}

/** Waits for a fresh window when less than `margin` seconds of the current one are left. */
async function awayFromWindowEnd(windowSeconds: number, margin: number): Promise<void> {
  const left = windowSeconds - ((Date.now() / 1000) % windowSeconds)
  if (left < margin) await new Promise((resolve) => setTimeout(resolve, (left + 1) * 1000))
}

/** `workers` concurrent callers on `auth`, each calling until it is refused; the number admitted. */
async function drive(
  auth: Auth,
  key: string,
  workers: number,
): Promise<{ admitted: number; refused: number }> {
  let admitted = 0
  let refused = 0
  const request = () => new Request('http://localhost/rest/v1/items', { headers: { apikey: key } })
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (;;) {
        try {
          await auth.authenticate(request())
          admitted++
        } catch (error) {
          expect(error).toMatchObject({ code: 'AUTH_OVER_REQUEST_RATE_LIMIT', status: 429 })
          refused++
          return
        }
      }
    }),
  )
  return { admitted, refused }
}

describe('an app budget shared by two instances', () => {
  it('admits within 5% of the limit in a window, never more, with both instances driven concurrently', async () => {
    const [a, b] = instances as [Auth, Auth]
    const limit = 2000
    const window = 3600
    const app = await a.api.apps.create({
      name: 'shared',
      rate_limit: { requests: limit, window_seconds: window },
    })
    const key = await a.api.keys.create({ name: 'web', type: 'publishable', app_id: app.id })
    await awayFromWindowEnd(window, 30)
    const leases = countLeaseRequests()
    const [first, second] = await Promise.all([drive(a, key.key, 24), drive(b, key.key, 24)])
    const admitted = first.admitted + second.admitted
    expect(admitted).toBeLessThanOrEqual(limit)
    expect(admitted).toBeGreaterThanOrEqual(limit * 0.95)
    // Both took part, and Postgres handed out exactly what was admitted plus what is stranded.
    expect(first.admitted).toBeGreaterThan(limit / 10)
    expect(second.admitted).toBeGreaterThan(limit / 10)
    const { rows } = await t.db.query<{ used: number }>('select used from auth.api_usage where bucket = $1', [
      app.id,
    ])
    expect(rows).toHaveLength(1)
    expect(rows[0]?.used).toBe(limit)
    // Leases, not a round trip per request: 1% of the limit each, so about 100 lease requests
    // (and one answering 0 per instance) for 2,000 requests.
    expect(leases.count()).toBeLessThan(150)
    leases.stop()
  })

  it('refuses locally once the window is spent, without asking Postgres again', async () => {
    const [a] = instances as [Auth, Auth]
    const app = await a.api.apps.create({ name: 'tiny', rate_limit: { requests: 2, window_seconds: 3600 } })
    const key = await a.api.keys.create({ name: 'web', type: 'publishable', app_id: app.id })
    await awayFromWindowEnd(3600, 10)
    const request = () => new Request('http://localhost/', { headers: { apikey: key.key } })
    await a.authenticate(request())
    await a.authenticate(request())
    await expect(a.authenticate(request())).rejects.toMatchObject({ status: 429 })
    const before = await t.db.query<{ used: number; last_grant: number }>(
      'select used, last_grant from auth.api_usage where bucket = $1',
      [app.id],
    )
    for (let i = 0; i < 20; i++)
      await expect(a.authenticate(request())).rejects.toMatchObject({ status: 429 })
    const after = await t.db.query('select used, last_grant from auth.api_usage where bucket = $1', [app.id])
    expect(after.rows).toEqual(before.rows)
  })

  it('applies a raised budget at once on the instance that changed it', async () => {
    const [a] = instances as [Auth, Auth]
    const app = await a.api.apps.create({ name: 'raised', rate_limit: { requests: 1, window_seconds: 3600 } })
    const key = await a.api.keys.create({ name: 'web', type: 'publishable', app_id: app.id })
    await awayFromWindowEnd(3600, 10)
    const request = () => new Request('http://localhost/', { headers: { apikey: key.key } })
    await a.authenticate(request())
    await expect(a.authenticate(request())).rejects.toMatchObject({ status: 429 })
    await a.api.apps.update(app.id, { rate_limit: { requests: 5, window_seconds: 3600 } })
    const principal = await a.authenticate(request())
    expect(principal.rateLimit).toMatchObject({ limit: 5, remaining: 3 })
  })
})
