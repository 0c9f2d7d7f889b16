/**
 * PostgREST's `PGRST_*` variables configure the demo's `/rest/v1` (issue 17, DESIGN §6): the
 * environment goes through the demo's own `readEnv` into `createDemo`, exactly as `pnpm start`
 * does (`PGRST_DB_SCHEMAS=public,personal pnpm start`), without spawning a process.
 */
import { readEnv } from '@groundwork/example-express'
import { PostgrestClient } from '@supabase/postgrest-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningDemo, startDemo } from './support/demo-server'

let stack: RunningDemo
let client: PostgrestClient

beforeAll(async () => {
  const env = readEnv({
    NODE_ENV: 'test',
    PGRST_DB_SCHEMAS: 'public,personal',
    PGRST_DB_MAX_ROWS: '2',
    PGRST_DB_AGGREGATES_ENABLED: 'true',
    PGRST_DB_TX_END: 'commit-allow-override',
    PGRST_DB_PLAN_ENABLED: 'true',
    PGRST_SERVER_TIMING_ENABLED: 'true',
  })
  stack = await startDemo({ rest: env.rest })
  // A second schema, as `personal` would be in the user's own migrations.
  await stack.database.db.query(`
    create schema personal;
    create table personal.notes (id int primary key, body text not null);
    insert into personal.notes values (1, 'from the personal schema');
    grant usage on schema personal to anon, authenticated;
    grant select on personal.notes to anon, authenticated;`)
  const rest = stack.demo.services.find((service) => service.name === 'rest')
  if (!rest) throw new Error('the demo mounts no rest service')
  await (rest.api as { reloadSchema(): Promise<void> }).reloadSchema()
  client = new PostgrestClient(`${stack.url}/rest/v1`, {
    headers: { apikey: stack.anonKey, authorization: `Bearer ${stack.anonKey}` },
  })
})
afterAll(() => stack?.stop())

describe('PGRST_* variables change the demo', () => {
  it('reads nothing when no PGRST_* variable is set', () => {
    expect(readEnv({ NODE_ENV: 'test' }).rest).toEqual({})
  })

  it('PGRST_DB_SCHEMAS exposes a second schema (Accept-Profile)', async () => {
    const { data, error } = await client.schema('personal').from('notes').select('body')
    expect(error).toBeNull()
    expect(data).toEqual([{ body: 'from the personal schema' }])
    const other = await client.schema('auth').from('users').select('id')
    expect(other.error?.code).toBe('PGRST106')
    expect(other.error?.hint).toBe('Only the following schemas are exposed: public, personal')
  })

  it('PGRST_DB_MAX_ROWS caps reads', async () => {
    const { data, error } = await client.from('todos').select('id')
    expect(error).toBeNull()
    expect(data).toHaveLength(2)
  })

  it('PGRST_DB_AGGREGATES_ENABLED allows aggregates', async () => {
    const { data, error } = await client.from('todos').select('count()')
    expect(error).toBeNull()
    expect(data).toEqual([{ count: 3 }])
  })

  it('PGRST_DB_PLAN_ENABLED answers EXPLAIN', async () => {
    const { data, error } = await client.from('todos').select('id').explain()
    expect(error).toBeNull()
    expect(String(data)).toMatch(/Aggregate/)
  })

  it('PGRST_DB_TX_END lets a request roll itself back, and PGRST_SERVER_TIMING_ENABLED times it', async () => {
    const response = await fetch(`${stack.url}/rest/v1/todos?select=id&limit=1`, {
      headers: { apikey: stack.anonKey, prefer: 'tx=rollback' },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('preference-applied')).toBe('tx=rollback')
    expect(response.headers.get('server-timing')).toMatch(
      /^jwt;dur=\d+\.\d, parse;dur=\d+\.\d, plan;dur=\d+\.\d, transaction;dur=\d+\.\d, response;dur=\d+\.\d$/,
    )
  })
})
