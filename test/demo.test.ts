import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningDemo, startDemo } from './support/demo-server'

let stack: RunningDemo

beforeAll(async () => {
  stack = await startDemo()
})
afterAll(() => stack.stop())

describe('the demo stack', () => {
  it('answers GET /health with the database status', async () => {
    const response = await fetch(`${stack.url}/health`)
    expect(response.status).toBe(200)
    const body = await response.json()
    expect(body).toMatchObject({ status: 'ok', database: { status: 'up' } })
    expect(typeof body.database.latencyMs).toBe('number')
  })

  it('applied the demo schema with its seed data and RLS', async () => {
    const anon = await stack.database.db.withClaims(null, (tx) =>
      tx.query('select title from public.todos order by id'),
    )
    expect(anon.rows.map((r) => r.title)).toEqual([
      'Read docs/getting-started.md',
      'Sign up through /auth/v1',
      'Query /rest/v1/todos',
    ])
    const stranger = await stack.database.db.withClaims(
      { role: 'authenticated', sub: '11111111-1111-1111-1111-111111111111' },
      (tx) => tx.query('select count(*)::int as n from public.list_members'),
    )
    expect(stranger.rows[0]?.n).toBe(0)
  })

  it('issues anon and service_role keys as HS256 JWTs with a role claim', () => {
    const payload = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString())
    const header = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString())
    expect(payload(stack.anonKey).role).toBe('anon')
    expect(payload(stack.serviceRoleKey).role).toBe('service_role')
    expect(header(stack.anonKey).alg).toBe('HS256')
  })
})
