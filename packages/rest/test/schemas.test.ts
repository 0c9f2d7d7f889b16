/**
 * Several exposed schemas: writes and RPC pick theirs with `Content-Profile` (postgrest-js
 * `.schema()`), reads with `Accept-Profile`; the answer names it in `Content-Profile`.
 *
 * @see https://docs.postgrest.org/en/v12/references/api/schemas.html
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RestHarness, startRest, USERS } from './support/server'

let h: RestHarness
beforeAll(async () => {
  h = await startRest({ schemas: ['public', 'private'] })
})
afterAll(async () => {
  await h?.close()
})

describe('Content-Profile on writes and RPC', () => {
  it('inserts into the schema named by .schema() and reads it back with Accept-Profile', async () => {
    const insert = await h.alice
      .schema('private')
      .from('notes')
      .insert({ body: 'secret' })
      .select('body, owner_id')
    expect(insert.error).toBeNull()
    expect(insert.status).toBe(201)
    expect(insert.data).toEqual([{ body: 'secret', owner_id: USERS.alice }])
    const read = await h.alice.schema('private').from('notes').select('body')
    expect(read.data).toEqual([{ body: 'secret' }])
  })

  it('answers with the Content-Profile header', async () => {
    const response = await h.request('/notes', {
      as: 'alice',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-profile': 'private' },
      body: JSON.stringify({ body: 'second' }),
    })
    expect(response.status).toBe(201)
    expect(response.headers.get('content-profile')).toBe('private')
  })

  it('updates and deletes in the chosen schema', async () => {
    const updated = await h.alice
      .schema('private')
      .from('notes')
      .update({ body: 'edited' })
      .eq('body', 'second')
      .select('body')
    expect(updated.data).toEqual([{ body: 'edited' }])
    const deleted = await h.alice.schema('private').from('notes').delete().eq('body', 'edited').select('body')
    expect(deleted.data).toEqual([{ body: 'edited' }])
  })

  it('calls a function of the chosen schema', async () => {
    const { data, error } = await h.alice.schema('private').rpc('note_count')
    expect(error).toBeNull()
    expect(data).toBe(1)
  })

  it('does not find the table in the default schema', async () => {
    const { error, status } = await h.alice.from('notes').insert({ body: 'x' })
    expect(status).toBe(404)
    expect(error?.code).toBe('PGRST205')
  })

  it('refuses a schema that is not exposed (406 PGRST106)', async () => {
    const { error, status } = await h.alice.schema('auth').from('users').insert({ id: USERS.alice })
    expect(status).toBe(406)
    expect(error?.code).toBe('PGRST106')
  })
})
