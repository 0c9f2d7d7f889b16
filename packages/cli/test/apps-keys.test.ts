import { createKeyAdmin } from '@groundwork/auth'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './fixtures/run-cli'

let t: TestDatabase
let ownerId = ''
beforeAll(async () => {
  t = await createTestDatabase()
  const { rows } = await t.db.query<{ id: string }>(
    "insert into auth.users (email) values ('cli-owner@example.com') returning id",
  )
  ownerId = rows[0]?.id ?? ''
})
afterAll(async () => {
  await t?.drop()
})

/** Spawns the `groundwork` source entry under tsx, as a user would run the binary. */
function groundwork(args: string[]) {
  return runCli(args, { DATABASE_URL: t.url })
}

describe('groundwork apps and keys', () => {
  it('creates an app and a key printed once, lists, shows, revokes and deletes them', async () => {
    const app = await groundwork([
      'apps',
      'create',
      'Partner',
      '--owner',
      ownerId,
      '--rate-limit',
      '1000/60',
      '--json',
    ])
    expect(app.code, app.stderr).toBe(0)
    const created = JSON.parse(app.stdout)
    expect(created).toMatchObject({
      name: 'Partner',
      owner_id: ownerId,
      rate_limit: { requests: 1000, window_seconds: 60 },
    })

    // Text mode: stdout is the key alone (pipe it into a secret store); the rest goes to stderr.
    const key = await groundwork([
      'keys',
      'create',
      'reports',
      '--type',
      'app',
      '--app',
      created.id,
      '--scopes',
      'read',
      '--tables',
      'public.orders,public.customers',
    ])
    expect(key.code, key.stderr).toBe(0)
    const plaintext = key.stdout.trim()
    expect(plaintext).toMatch(/^gw_app_[0-9A-Za-z]{40}$/)
    expect(key.stderr).toContain('only time the key is shown')
    const verified = await createKeyAdmin({ db: t.db }).keys.verify(plaintext)
    expect(verified).toMatchObject({
      app_id: created.id,
      user_id: ownerId,
      scopes: ['read'],
      allowed_tables: ['public.orders', 'public.customers'],
    })

    const list = await groundwork(['keys', 'list', '--app', created.id, '--json'])
    const keys = JSON.parse(list.stdout)
    expect(keys).toEqual([expect.objectContaining({ id: verified.id, prefix: plaintext.slice(0, 15) })])
    expect(list.stdout).not.toContain(plaintext)
    const table = await groundwork(['keys', 'list'])
    expect(table.stdout).toMatch(/^ID\s+PREFIX\s+NAME\s+TYPE/)

    const shown = await groundwork(['apps', 'show', created.id])
    expect(shown.stdout).toContain('1000/60s')
    expect(shown.stdout).toContain(plaintext.slice(0, 15))

    const revoked = await groundwork(['keys', 'revoke', verified.id])
    expect(revoked.code).toBe(0)
    expect(revoked.stdout).toContain('revoked')
    await expect(createKeyAdmin({ db: t.db }).keys.verify(plaintext)).rejects.toMatchObject({
      code: 'AUTH_INVALID_API_KEY',
    })

    const deleted = await groundwork(['apps', 'delete', created.id])
    expect(deleted.code).toBe(0)
    const gone = await groundwork(['apps', 'show', created.id, '--json'])
    expect(gone.code).toBe(1)
    expect(JSON.parse(gone.stderr)).toEqual({
      error: { code: 'AUTH_APP_NOT_FOUND', message: 'App not found' },
    })
  })

  it('refuses bad flags with a usage error, and invalid input with the field named', async () => {
    const noType = await groundwork(['keys', 'create', 'x'])
    expect(noType.code).toBe(2)
    expect(noType.stderr).toContain('--type is required')
    const badLimit = await groundwork(['apps', 'create', 'x', '--rate-limit', 'lots'])
    expect(badLimit.code).toBe(2)
    const badScope = await groundwork([
      'keys',
      'create',
      'x',
      '--type',
      'app',
      '--user',
      ownerId,
      '--scopes',
      'root',
    ])
    expect(badScope.code).toBe(1)
    expect(badScope.stderr).toContain('AUTH_VALIDATION_FAILED: scopes.0')
  })
})
