import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './fixtures/run-cli'

let t: TestDatabase
beforeAll(async () => {
  t = await createTestDatabase()
})
afterAll(async () => {
  await t?.drop()
})

function groundwork(args: string[]) {
  return runCli(args, { DATABASE_URL: t.url })
}

describe('groundwork oauth clients', () => {
  it('creates (secret shown once, stored hashed), lists, rotates the secret and deletes', async () => {
    const created = await groundwork([
      'oauth',
      'clients',
      'create',
      'Partner',
      '--redirect-uri',
      'https://p.example/cb',
      '--json',
    ])
    expect(created.code, created.stderr).toBe(0)
    const client = JSON.parse(created.stdout)
    expect(client).toMatchObject({
      client_name: 'Partner',
      client_type: 'confidential',
      redirect_uris: ['https://p.example/cb'],
    })
    expect(client.client_secret).toBeTypeOf('string')
    const { rows } = await t.db.query<{ secret_hash: string }>(
      'select secret_hash from oauth.clients where id = $1',
      [client.client_id],
    )
    expect(rows[0]?.secret_hash).not.toBe(client.client_secret)

    const listed = await groundwork(['oauth', 'clients', 'list', '--json'])
    expect(JSON.parse(listed.stdout).map((c: { client_id: string }) => c.client_id)).toContain(
      client.client_id,
    )

    const rotated = await groundwork(['oauth', 'clients', 'rotate-secret', client.client_id, '--json'])
    expect(JSON.parse(rotated.stdout).client_secret).not.toBe(client.client_secret)

    const pub = await groundwork([
      'oauth',
      'clients',
      'create',
      'CLI',
      '--public',
      '--redirect-uri',
      'http://127.0.0.1/cb',
      '--json',
    ])
    expect(JSON.parse(pub.stdout)).toMatchObject({
      client_type: 'public',
      token_endpoint_auth_method: 'none',
    })

    expect((await groundwork(['oauth', 'clients', 'delete', client.client_id])).code).toBe(0)
    const after = await t.db.query('select 1 from oauth.clients where id = $1', [client.client_id])
    expect(after.rowCount).toBe(0)
  })

  it('refuses bad input with a usage error, never a stack', async () => {
    const bad = await groundwork(['oauth', 'clients', 'create', 'X', '--redirect-uri', 'javascript:alert(1)'])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/redirect_uri/)
    expect(bad.stderr).not.toMatch(/at .*\.ts:\d+/)
    const usage = await groundwork(['oauth', 'clients', 'frobnicate'])
    expect(usage.code).not.toBe(0)
    expect(usage.stderr).toMatch(/Usage: groundwork oauth clients/)
  })
})
