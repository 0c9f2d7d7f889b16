import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './fixtures/run-cli'

let t: TestDatabase
beforeAll(async () => {
  t = await createTestDatabase()
  await t.db.query('create table public.orders (id int primary key, status text)')
})
afterAll(async () => {
  await t.drop()
})

function groundwork(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { DATABASE_URL: t.url, ...env })
}

describe('groundwork webhooks', () => {
  it('creates, lists, shows deliveries and redelivers', async () => {
    const refused = await groundwork([
      'webhooks',
      'create',
      '--url',
      'http://127.0.0.1:9/h',
      '--table',
      'orders',
    ])
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/private, loopback or link-local/)

    const created = await groundwork(
      [
        'webhooks',
        'create',
        '--url',
        'http://127.0.0.1:9/h',
        '--table',
        'orders',
        '--events',
        'insert',
        '--json',
      ],
      { WEBHOOKS_ALLOW_HOSTS: '127.0.0.1' },
    )
    expect(created.code).toBe(0)
    const endpoint = JSON.parse(created.stdout) as { id: string; secret: { secret: string } }
    expect(endpoint.secret.secret).toMatch(/^whsec_/)

    const list = await groundwork(['webhooks', 'list'])
    expect(list.stdout).toMatch(/^ID\s+TABLE\s+EVENTS/)
    expect(list.stdout).toContain('public.orders')

    await t.db.query(`insert into public.orders values (1, 'new')`)
    const deliveries = await groundwork(['webhooks', 'deliveries', endpoint.id, '--json'])
    const [delivery] = JSON.parse(deliveries.stdout) as { id: string; eventId: string; status: string }[]
    expect(delivery).toMatchObject({ status: 'pending' })

    const again = await groundwork(['webhooks', 'redeliver', endpoint.id, delivery!.id])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain(delivery!.eventId)
    const { rows } = await t.db.query(
      `select payload->>'action' as action from auth.audit_log_entries where payload->>'log_type' = 'webhooks'`,
    )
    expect(rows.map((r) => r.action)).toEqual(
      expect.arrayContaining(['webhooks.endpoint_created', 'webhooks.redelivered']),
    )
  })
})
