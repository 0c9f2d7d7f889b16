import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthError, type SessionResponse } from '../src/index'
import { type CoreStack, createCoreStack } from './core-support'

let stack: CoreStack

beforeAll(async () => {
  stack = await createCoreStack()
})
afterAll(async () => {
  await stack.close()
})

describe('auth.api (in-process, same endpoints)', () => {
  it('signs up, signs in, refreshes, reads and updates the user, and signs out', async () => {
    const { api } = stack.auth
    const signedUp = (await api.signUp({
      email: 'api@example.com',
      password: 'correct horse',
      data: { n: 1 },
    })) as SessionResponse
    expect(signedUp.access_token).toBeTruthy()
    const session = await api.signInWithPassword({ email: 'api@example.com', password: 'correct horse' })
    expect(session.user.email).toBe('api@example.com')
    const refreshed = await api.refreshSession(session.refresh_token)
    expect(refreshed.refresh_token).not.toBe(session.refresh_token)
    const user = await api.updateUser(refreshed.access_token, { data: { n: 2 } })
    expect(user.user_metadata).toMatchObject({ n: 2 })
    expect((await api.getUser(refreshed.access_token)).id).toBe(user.id)
    await api.signOut(refreshed.access_token, 'local')
    await expect(api.getUser(refreshed.access_token)).rejects.toMatchObject({
      errorCode: 'session_not_found',
      status: 403,
    })
  })

  it('throws AuthError with the GoTrue code', async () => {
    const failure = await stack.auth.api
      .signInWithPassword({ email: 'api@example.com', password: 'wrong' })
      .catch((error) => error)
    expect(failure).toBeInstanceOf(AuthError)
    expect(failure).toMatchObject({
      errorCode: 'invalid_credentials',
      code: 'AUTH_INVALID_CREDENTIALS',
      status: 400,
    })
  })

  it('calls the admin endpoints with an in-process service-role token', async () => {
    const { admin } = stack.auth.api
    const created = await admin.createUser({
      email: 'scripted@example.com',
      password: 'correct horse',
      email_confirm: true,
    })
    expect(created.email).toBe('scripted@example.com')
    expect((await admin.getUserById(created.id)).id).toBe(created.id)
    const page = await admin.listUsers({ page: 1, perPage: 50 })
    expect(page.users.map((user) => user.email)).toContain('scripted@example.com')
    const session = await stack.auth.api.signInWithPassword({
      email: 'scripted@example.com',
      password: 'correct horse',
    })
    expect(session.user.id).toBe(created.id)
    await admin.deleteUser(created.id)
    await expect(admin.getUserById(created.id)).rejects.toMatchObject({ status: 404 })
  })
})
