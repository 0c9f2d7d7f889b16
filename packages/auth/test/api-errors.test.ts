import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthError } from '../src/index'
import { type CoreStack, createCoreStack } from './core-support'

// What `auth.api` throws keeps what went wrong underneath: a hook's exception or a database
// failure becomes AuthError `unexpected_failure` with the original as `cause`; the handler answers
// the opaque 500 and hands `onError` the original.

const downstream = new Error('downstream failure')
const reported: unknown[] = []
let stack: CoreStack

beforeAll(async () => {
  stack = await createCoreStack({
    hooks: {
      afterSignUp({ user }) {
        if (user.email?.startsWith('rollback')) throw downstream
      },
    },
    onError: (error) => reported.push(error),
  })
})
afterAll(async () => {
  await stack.close()
})

describe('api errors keep their cause', () => {
  it('a throwing afterSignUp hook: unexpected_failure whose cause is the hook’s error, nothing written', async () => {
    const failure = await stack.auth.api
      .signUp({ email: 'rollback@example.com', password: 'correct horse' })
      .catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(AuthError)
    expect(failure).toMatchObject({
      code: 'AUTH_UNEXPECTED_FAILURE',
      errorCode: 'unexpected_failure',
      status: 500,
    })
    expect((failure as AuthError).cause).toBe(downstream)
    const { rows } = await stack.t.db.query("select 1 from auth.users where email = 'rollback@example.com'")
    expect(rows).toHaveLength(0)
  })

  it('a database failure: the pg error is the cause; over HTTP a generic 500 and onError gets the pg error', async () => {
    const { session } = await stack.auth.api.signUp({
      email: 'dbfail@example.com',
      password: 'correct horse',
    })
    const token = session?.access_token as string
    await stack.t.db.query('alter table auth.sessions rename to sessions_moved')
    try {
      const failure = await stack.auth.api.getUser(token).catch((error: unknown) => error)
      expect(failure).toMatchObject({ errorCode: 'unexpected_failure', status: 500 })
      expect((failure as AuthError).cause).toMatchObject({ code: '42P01' })

      reported.length = 0
      const response = await stack.request('GET', '/user', {
        headers: { authorization: `Bearer ${token}`, 'X-Supabase-Api-Version': '2024-01-01' },
      })
      expect(response.status).toBe(500)
      expect(await response.json()).toEqual({
        code: 'unexpected_failure',
        message: 'Unexpected failure, please check server logs for more information',
      })
      expect(reported).toHaveLength(1)
      expect(reported[0]).toMatchObject({ code: '42P01' })
    } finally {
      await stack.t.db.query('alter table auth.sessions_moved rename to sessions')
    }
  })

  it('a NUL character Postgres refuses is the caller’s error: 400 validation_failed, the pg error as cause', async () => {
    const failure = await stack.auth.api
      .signInWithPassword({ email: '\u0000nul@example.com', password: 'x' })
      .catch((error: unknown) => error)
    expect(failure).toMatchObject({ errorCode: 'validation_failed', status: 400 })
    expect((failure as AuthError).cause).toMatchObject({ code: '22021' })
    const response = await stack.request('PUT', '/user', {
      body: { data: { note: 'a\u0000b' } },
      headers: { authorization: `Bearer ${(await stack.auth.api.signUp({})).session?.access_token}` },
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error_code: 'validation_failed' })
  })
})
