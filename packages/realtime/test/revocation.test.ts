/**
 * Streams end when their credentials do: @groundwork/auth's triggers (migration 0003) announce an
 * ended session, a ban or a deletion on `groundwork_revocations`, and every stream whose claims
 * match ends with `event: error` within a second — also when the announcement was sent while the
 * service's LISTEN connection was down. The revoking statements are the ones auth runs (logout
 * deletes sessions; refresh-token reuse sets not_after; admin ban/delete update or delete users).
 */
import { randomUUID } from 'node:crypto'
import { createJwtAuthenticator } from '@groundwork/core'
import { createTestDatabase, signTestToken, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRealtimeClient, RealtimeClientError } from '../src/client/index'
import { createRealtime, type Realtime } from '../src/index'
import { createTodoSchema, openStream, type SseEvent, serve, sleep } from './helpers'

let test: TestDatabase
let realtime: Realtime
let server: Awaited<ReturnType<typeof serve>>
let psql: pg.Client

beforeAll(async () => {
  test = await createTestDatabase()
  await createTodoSchema(test.db)
  realtime = createRealtime({
    db: test.db,
    authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
  })
  await realtime.start()
  server = await serve(realtime.handler)
  psql = new pg.Client({ connectionString: test.url })
  await psql.connect()
})

afterAll(async () => {
  await server?.close()
  await realtime?.close()
  await psql?.end()
  await test?.drop()
})

/** A user of @groundwork/auth with `sessions` sessions, and an access token for each. */
async function signedInUser(sessions = 1) {
  const { rows } = await psql.query<{ id: string }>(
    `insert into auth.users (email) values ($1) returning id`,
    [`${randomUUID()}@example.com`],
  )
  const userId = rows[0]?.id as string
  const tokens: { sessionId: string; token: string }[] = []
  for (let i = 0; i < sessions; i++) {
    const { rows: created } = await psql.query<{ id: string }>(
      `insert into auth.sessions (user_id, refresh_token_hmac_key) values ($1, 'test') returning id`,
      [userId],
    )
    const sessionId = created[0]?.id as string
    const token = await signTestToken({ role: 'authenticated', sub: userId, session_id: sessionId })
    tokens.push({ sessionId, token })
  }
  return { userId, sessions: tokens }
}

async function subscribe(token: string) {
  const stream = await openStream(`${server.url}/stream?table=todos`, {
    headers: { authorization: `Bearer ${token}` },
  })
  expect(stream.response.status).toBe(200)
  await stream.until((events) => events.some((e) => e.event === 'ready'))
  return stream
}

const errorEvent = (events: SseEvent[]) => events.find((e) => e.event === 'error')

/** Waits (at most a second) for the stream's final `error` event and for the stream to end. */
async function endsWithin1s(stream: Awaited<ReturnType<typeof subscribe>>, code: string) {
  await stream.until((events) => errorEvent(events) !== undefined, 1000)
  await stream.done
  expect(stream.ended).toBe(true)
  expect(stream.events.at(-1)).toEqual({
    id: undefined,
    event: 'error',
    data: { code, message: expect.any(String) },
  })
}

describe('streams end when their credentials do', () => {
  it('ends every stream of the user within a second on logout?scope=global, and only those', async () => {
    const user = await signedInUser(2)
    const other = await signedInUser()
    const [first, second] = [
      await subscribe(user.sessions[0]?.token as string),
      await subscribe(user.sessions[1]?.token as string),
    ]
    const bystander = await subscribe(other.sessions[0]?.token as string)
    // What POST /logout?scope=global runs.
    await psql.query('delete from auth.sessions where user_id = $1', [user.userId])
    await endsWithin1s(first, 'REALTIME_SESSION_REVOKED')
    await endsWithin1s(second, 'REALTIME_SESSION_REVOKED')
    await sleep(100)
    expect(bystander.ended).toBe(false)
    expect(errorEvent(bystander.events)).toBeUndefined()
    await bystander.close()
  })

  it('ends the stream of a session ended by refresh-token reuse', async () => {
    const user = await signedInUser()
    const stream = await subscribe(user.sessions[0]?.token as string)
    // What auth does when a refresh token is reused outside the grace period.
    await psql.query('update auth.sessions set not_after = now(), updated_at = now() where id = $1', [
      user.sessions[0]?.sessionId,
    ])
    await endsWithin1s(stream, 'REALTIME_SESSION_REVOKED')
  })

  it('ends the stream of a banned user within a second', async () => {
    const user = await signedInUser()
    const stream = await subscribe(user.sessions[0]?.token as string)
    await psql.query(`update auth.users set banned_until = now() + interval '1 day' where id = $1`, [
      user.userId,
    ])
    await endsWithin1s(stream, 'REALTIME_USER_BANNED')
  })

  it('ends the stream of a deleted user within a second, hard or soft delete', async () => {
    const hard = await signedInUser()
    const hardStream = await subscribe(hard.sessions[0]?.token as string)
    // Its sessions go too (cascade): the stream still says why, the user.
    await psql.query('delete from auth.users where id = $1', [hard.userId])
    await endsWithin1s(hardStream, 'REALTIME_USER_DELETED')

    const soft = await signedInUser()
    const softStream = await subscribe(soft.sessions[0]?.token as string)
    // What a soft delete runs, in one transaction.
    await psql.query(`
      begin;
      update auth.users set deleted_at = now() where id = '${soft.userId}';
      delete from auth.sessions where user_id = '${soft.userId}';
      commit;
    `)
    await endsWithin1s(softStream, 'REALTIME_USER_DELETED')
  })

  it('ends the stream of a revoked API key (claim key_id)', async () => {
    const token = await signTestToken({ role: 'authenticated', sub: randomUUID(), key_id: 'key_1' })
    const stream = await subscribe(token)
    await psql.query(`select pg_notify('groundwork_revocations', '{"kind":"api_key","key_id":"key_1"}')`)
    await endsWithin1s(stream, 'REALTIME_KEY_REVOKED')
  })

  it('stops the client with a 401 RealtimeClientError carrying the code', async () => {
    const user = await signedInUser()
    const errors: unknown[] = []
    let open = false
    const client = createRealtimeClient({ url: server.url, token: user.sessions[0]?.token })
    const subscription = client.subscribe(
      { table: 'todos' },
      { onError: (error) => errors.push(error), onStatus: (status) => (open ||= status === 'open') },
    )
    const deadline = Date.now() + 5000
    while (!open && Date.now() < deadline) await sleep(10)
    await psql.query('delete from auth.sessions where user_id = $1', [user.userId])
    await subscription.closed
    expect(errors).toEqual([expect.any(RealtimeClientError)])
    expect(errors[0]).toMatchObject({ status: 401, code: 'REALTIME_SESSION_REVOKED' })
  })

  it('ends a stream whose session was revoked while the LISTEN connection was down, once it reconnects', async () => {
    const user = await signedInUser()
    const stream = await subscribe(user.sessions[0]?.token as string)
    // The LISTEN backend is gone (waited for) before the session is deleted: its NOTIFY reaches no one.
    const { rows } = await psql.query<{ killed: boolean }>(
      `select pg_terminate_backend(pid, 5000) as killed from pg_stat_activity
        where datname = current_database() and query like 'listen %' and pid <> pg_backend_pid()`,
    )
    expect(rows.map((row) => row.killed)).toEqual([true])
    const { rows: listening } = await psql.query<{ n: number }>(
      `with revoked as (delete from auth.sessions where user_id = $1 returning 1)
       select count(*)::int as n from pg_stat_activity
        where datname = current_database() and query like 'listen %' and pid <> pg_backend_pid()`,
      [user.userId],
    )
    expect(listening[0]?.n).toBe(0) // nobody heard it: only the re-check on reconnect can end the stream
    await stream.until((events) => errorEvent(events) !== undefined, 10_000)
    expect(errorEvent(stream.events)?.data).toMatchObject({ code: 'REALTIME_SESSION_REVOKED' })
    await stream.done
  })
})
