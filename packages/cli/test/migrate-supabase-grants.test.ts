import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url))
const LOADER = fileURLToPath(new URL('./fixtures/raw-loader.mjs', import.meta.url))

let t: TestDatabase
beforeAll(async () => {
  t = await createTestDatabase()
})
afterAll(async () => {
  await t?.drop()
})

describe('groundwork migrate --supabase-grants', () => {
  it("gives the API roles Supabase's privileges on the schemas named", async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--conditions',
        '@groundwork/source',
        '--import',
        'tsx',
        '--import',
        LOADER,
        BIN,
        'migrate',
        '--json',
        '--supabase-grants',
        '--supabase-grants-schemas',
        'public, api',
      ],
      { env: { ...process.env, DATABASE_URL: t.url }, timeout: 30_000 },
    )
    expect(JSON.parse(stdout)).toEqual({ applied: [], supabaseGrants: ['public', 'api'] })
    await t.db.query('create table api.copied_from_supabase (id int primary key)')
    const { rows } = await t.db.query<{ ok: boolean }>(
      "select has_table_privilege('authenticated', 'api.copied_from_supabase', 'insert') as ok",
    )
    expect(rows[0]?.ok).toBe(true)
  })
})
