/**
 * Signing secrets encrypted at rest (`encryptionKeys`, core's SecretBox): the row holds only the
 * sealed value, deliveries still verify with the secret the API returned, and a key rotation
 * (new key first, old one kept) keeps old secrets working.
 */
import { randomBytes } from 'node:crypto'
import { createJobs } from '@groundwork/jobs'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWebhooks } from '../src/index'
import { type Receiver, startReceiver, waitFor } from './fixtures/receiver'

let t: TestDatabase
let receiver: Receiver
const oldKey = randomBytes(32).toString('base64')
const newKey = randomBytes(32).toString('base64')

beforeAll(async () => {
  ;[t, receiver] = await Promise.all([createTestDatabase(), startReceiver()])
  await t.db.query('create table public.sealed (id int primary key)')
})
afterAll(async () => {
  await Promise.all([receiver?.close(), t?.drop()])
})

/** Runs `fn` with a webhooks service on `keys` and a jobs runner for it. */
async function withWebhooks(
  keys: string[],
  fn: (webhooks: ReturnType<typeof createWebhooks>) => Promise<void>,
) {
  const webhooks = createWebhooks({ db: t.db, allowHosts: ['127.0.0.1'], encryptionKeys: keys })
  const jobs = createJobs({ db: t.db, tasks: webhooks.tasks, pollInterval: 50 })
  await jobs.start()
  try {
    await fn(webhooks)
  } finally {
    await jobs.close()
    await webhooks.close()
  }
}

function verified(secret: string, id: number) {
  const got = receiver.received.find((r) => JSON.parse(r.body).data?.record?.id === id)
  if (!got) return false
  new Webhook(secret).verify(got.body, {
    'webhook-id': got.headers['webhook-id'] as string,
    'webhook-timestamp': got.headers['webhook-timestamp'] as string,
    'webhook-signature': got.headers['webhook-signature'] as string,
  })
  return true
}

describe('encryption of signing secrets at rest', () => {
  it('stores only the sealed secret; deliveries verify; a rotated key list still opens it', async () => {
    let secret = ''
    await withWebhooks([oldKey], async (webhooks) => {
      const endpoint = await webhooks.api.create({
        url: receiver.url,
        table: 'public.sealed',
        events: ['INSERT'],
      })
      secret = endpoint.secret.secret
      const { rows } = await t.db.query<{ secret: string }>('select secret from webhooks.secrets')
      expect(rows).toHaveLength(1)
      expect(rows[0]?.secret).toMatch(/^gwenc:v1:[0-9a-f]{8}:/)
      expect(rows[0]?.secret).not.toContain(secret.slice('whsec_'.length))
      await t.db.query('insert into public.sealed values (1)')
      await waitFor(() => verified(secret, 1))
    })
    await withWebhooks([newKey, oldKey], async () => {
      await t.db.query('insert into public.sealed values (2)')
      await waitFor(() => verified(secret, 2))
    })
  })

  it('signs with the secrets that open when one was sealed with a key no longer listed', async () => {
    let endpointId = ''
    await withWebhooks([oldKey], async (webhooks) => {
      const endpoint = await webhooks.api.create({
        url: receiver.url,
        table: 'public.sealed',
        events: ['INSERT'],
      })
      endpointId = endpoint.id
    })
    // Only the new key now: the first secret no longer opens; a rotation adds one that does.
    await withWebhooks([newKey], async (webhooks) => {
      const rotated = await webhooks.api.rotateSecret(endpointId, {})
      expect(rotated).not.toBeNull()
      await t.db.query('insert into public.sealed values (3)')
      await waitFor(() => verified(rotated?.secret as string, 3))
    })
  })

  it('refuses a key that is not 32 bytes, naming the option', () => {
    expect(() => createWebhooks({ db: t.db, encryptionKeys: ['too-short'] })).toThrow(/encryptionKeys/)
  })
})
