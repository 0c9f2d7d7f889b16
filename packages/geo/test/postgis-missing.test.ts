/**
 * Without PostGIS (the embedded Postgres default): rest works as before, geo features answer 501
 * naming the missing extension and how to get it, `start()` reports it, and `requirePostgis`
 * makes it fatal.
 */
import { createJwtAuthenticator } from '@groundwork/core'
import { createRest } from '@groundwork/rest'
import { createTestDatabase, requestHandler, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGeo } from '../src/index'

let test: TestDatabase
beforeAll(async () => {
  test = await createTestDatabase()
  await test.db.query(`create table public.things (id int primary key, name text);
    insert into public.things values (1, 'a');
    grant select on public.things to anon;`)
})
afterAll(async () => {
  await test?.drop()
})

function stack(requirePostgis = false) {
  const geo = createGeo({ db: test.db, rest: () => rest, requirePostgis })
  const rest = createRest({
    db: test.db,
    authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
    extensions: [geo.rest],
    listen: false,
  })
  return { geo, rest }
}

describe('PostGIS missing', () => {
  it('detects it', async () => {
    const { geo, rest } = stack()
    expect(await geo.api.postgis()).toEqual({ installed: false, schema: null, version: null })
    await geo.start()
    await rest.close()
  })

  it('requirePostgis: start() fails, naming the extension and how to get it', async () => {
    const { geo, rest } = stack(true)
    await expect(geo.start()).rejects.toThrow(
      /PostGIS is not installed.*apt-get install postgresql-<version>-postgis-3/s,
    )
    await rest.close()
  })

  it('rest keeps working; spatial features answer 501 with a hint', async () => {
    const { geo, rest } = stack()
    const plain = await requestHandler(rest.handler, '/things')
    expect(plain.status).toBe(200)
    expect(await plain.json()).toEqual([{ id: 1, name: 'a' }])
    for (const [handler, path, headers] of [
      [rest.handler, '/things?name=st_within.POINT(1%202)', {}],
      [rest.handler, '/things?order=name.nearest(1,2)', {}],
      [rest.handler, '/things', { accept: 'application/geo+json' }],
      [geo.handler, '/tiles/public.things/1/0/0.mvt', {}],
    ] as const) {
      const response = await requestHandler(handler, path, { headers: { ...headers } })
      expect(response.status, path).toBe(501)
      const body = await response.json()
      expect(body.message).toMatch(/PostGIS is not installed.*"postgis"/)
      expect(body.hint).toMatch(/apt-get install postgresql-<version>-postgis-3/)
    }
    await rest.close()
  })
})
