import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createJwtAuthenticator } from '@groundwork/core'
import { createTestDatabase, signTestToken, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRealtime, type Realtime } from '../src/index'

let test: TestDatabase
let realtime: Realtime
let service: string
let user: string

beforeAll(async () => {
  test = await createTestDatabase()
  await test.db.query(`
    create table public.items (id int primary key, name text);
    create table public.pairs (a int, b text, note text, primary key (a, b));
    create table public.keyless (x int);
  `)
  realtime = createRealtime({
    db: test.db,
    authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
  })
  service = await signTestToken({ role: 'service_role' })
  user = await signTestToken({ role: 'authenticated', sub: '11111111-1111-4111-8111-111111111111' })
})

afterAll(async () => {
  await realtime?.close()
  await test?.drop()
})

const call = (method: string, path: string, token: string, body?: unknown) =>
  realtime.handler(
    new Request(`http://localhost${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  )

describe('admin handler', () => {
  it('enables, lists and disables tables for the service role only', async () => {
    const forbidden = await call('POST', '/tables', user, { table: 'public.items' })
    expect(forbidden.status).toBe(403)
    expect(await forbidden.json()).toMatchObject({ code: 'REALTIME_FORBIDDEN' })

    const enabled = await call('POST', '/tables', service, { table: 'public.items' })
    expect(enabled.status).toBe(201)
    expect(await enabled.json()).toMatchObject({ schema: 'public', table: 'items', primaryKey: ['id'] })
    const composite = await call('POST', '/tables', service, { table: 'pairs' })
    expect(await composite.json()).toMatchObject({ table: 'pairs', primaryKey: ['a', 'b'] })

    const listed = await call('GET', '/tables', service)
    expect((await listed.json()).map((t: { table: string }) => t.table)).toEqual(['items', 'pairs'])

    const missing = await call('POST', '/tables', service, { table: 'public.nope' })
    expect(missing.status).toBe(404)
    const keyless = await call('POST', '/tables', service, { table: 'public.keyless' })
    expect(keyless.status).toBe(400)
    expect(((await keyless.json()) as { message: string }).message).toContain('no primary key')

    const disabled = await call('DELETE', '/tables/public.items', service)
    expect(disabled.status).toBe(204)
    const { rows } = await test.db.query(
      `select count(*)::int as n from pg_trigger where tgrelid = 'public.items'::regclass and tgname like 'realtime_%'`,
    )
    expect(rows[0]?.n).toBe(0)
    const unknownRoute = await call('GET', '/nope', service)
    expect(unknownRoute.status).toBe(404)
  })

  it('captures composite keys and key changes (an UPDATE of the key is a DELETE plus an INSERT)', async () => {
    await test.db.query(`insert into public.pairs values (1, 'x', 'n')`)
    await test.db.query(`update public.pairs set note = 'm' where a = 1`)
    await test.db.query(`update public.pairs set b = 'y' where a = 1`)
    const { rows } = await test.db.query(
      `select op, pk, old_record->>'b' as old_b, record->>'b' as new_b from realtime.changes where table_name = 'pairs' order by id`,
    )
    expect(rows).toEqual([
      { op: 'INSERT', pk: { a: 1, b: 'x' }, old_b: null, new_b: 'x' },
      { op: 'UPDATE', pk: { a: 1, b: 'x' }, old_b: 'x', new_b: 'x' },
      { op: 'DELETE', pk: { a: 1, b: 'x' }, old_b: 'x', new_b: null },
      { op: 'INSERT', pk: { a: 1, b: 'y' }, old_b: null, new_b: 'y' },
    ])
  })

  it('prunes through the handler and the jobs task', async () => {
    await test.db.query(`update realtime.changes set commit_timestamp = now() - interval '3 days'`)
    const pruned = await call('POST', '/prune', service, { olderThanMs: 24 * 3600 * 1000 })
    expect(pruned.status).toBe(200)
    expect(await pruned.json()).toEqual({ deleted: 4 })
    const { rows } = await test.db.query('select changes_pruned_through::int as n from realtime.retention')
    expect(rows[0]?.n).toBeGreaterThan(0)
    const [task] = realtime.tasks
    expect(task.name).toBe('realtime:prune')
    await test.db.query(`insert into public.pairs values (2, 'z', 'n')`)
    await test.db.query(`update realtime.changes set commit_timestamp = now() - interval '3 days'`)
    await task.run(task.schema.parse({}))
    const left = await test.db.query('select count(*)::int as n from realtime.changes')
    expect(left.rows[0]?.n).toBe(0)
  })
})

describe('groundwork realtime (CLI)', () => {
  const run = promisify(execFile)
  const BIN = fileURLToPath(new URL('../../cli/src/bin.ts', import.meta.url))
  const LOADER = fileURLToPath(new URL('../../cli/test/fixtures/raw-loader.mjs', import.meta.url))
  async function groundwork(args: string[]) {
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        ['--conditions', '@groundwork/source', '--import', 'tsx', '--import', LOADER, BIN, ...args],
        { env: { ...process.env, DATABASE_URL: test.url }, timeout: 30_000 },
      )
      return { code: 0, stdout, stderr }
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string }
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
    }
  }

  it('enables, lists and disables', async () => {
    const enabled = await groundwork(['realtime', 'enable', 'public.items'])
    expect(enabled.code).toBe(0)
    expect(enabled.stdout).toContain('Publishing public.items (primary key: id).')
    const list = await groundwork(['realtime', 'list', '--json'])
    expect(JSON.parse(list.stdout).map((t: { table: string }) => t.table)).toContain('items')
    const disabled = await groundwork(['realtime', 'disable', 'public.items'])
    expect(disabled.stdout).toContain('No longer publishing public.items.')
    const missing = await groundwork(['realtime', 'enable', 'public.nope'])
    expect(missing.code).not.toBe(0)
  })
})
