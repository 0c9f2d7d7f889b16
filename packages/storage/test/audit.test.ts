/** Bucket administration is recorded in auth's audit log (core's `recordAudit`), with the caller. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStack, type Stack } from './helpers'

let stack: Stack
beforeAll(async () => {
  stack = await createStack('local')
})
afterAll(async () => {
  await stack?.close()
})

describe('storage audit', () => {
  it('records bucket creation, update, emptying and deletion with the actor', async () => {
    const client = stack.client(stack.tokens.service)
    expect((await client.createBucket('audited', { public: false })).error).toBeNull()
    expect((await client.updateBucket('audited', { public: true })).error).toBeNull()
    expect((await client.emptyBucket('audited')).error).toBeNull()
    expect((await client.deleteBucket('audited')).error).toBeNull()
    // A refused change records nothing.
    expect((await stack.client(stack.tokens.anon).createBucket('refused')).error).not.toBeNull()
    const { rows } = await stack.test.db.query<{ payload: Record<string, unknown> }>(
      `select payload from auth.audit_log_entries where payload->>'log_type' = 'storage' order by created_at, id`,
    )
    expect(rows.map((r) => r.payload.action)).toEqual([
      'storage.bucket_created',
      'storage.bucket_updated',
      'storage.bucket_emptied',
      'storage.bucket_deleted',
    ])
    expect(rows[0]?.payload).toMatchObject({ actor_username: 'service_role', traits: { bucket: 'audited' } })
  })

  it('commits a change and its entry together: no entry, no change', async () => {
    const db = stack.test.db
    await db.query(`create function public.refuse_audit() returns trigger language plpgsql as $$
      begin raise exception 'audit log unavailable'; end $$`)
    await db.query(
      `create trigger refuse_audit before insert on auth.audit_log_entries for each row
       when (new.payload->'traits'->>'bucket' = 'atomic') execute function public.refuse_audit()`,
    )
    try {
      const client = stack.client(stack.tokens.service)
      expect((await client.createBucket('atomic')).error).not.toBeNull()
      const { rows } = await db.query(`select 1 from storage.buckets where id = 'atomic'`)
      expect(rows).toHaveLength(0)
    } finally {
      await db.query('drop trigger refuse_audit on auth.audit_log_entries')
      await db.query('drop function public.refuse_audit()')
    }
  })
})
