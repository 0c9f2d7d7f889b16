import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CoreStack, createCoreStack } from './core-support'

let stack: CoreStack

beforeAll(async () => {
  stack = await createCoreStack()
})
afterAll(async () => {
  await stack.close()
})

describe('sign-up and sign-in with auth-js', () => {
  it('signs up with autoconfirm and gets a session with GoTrue claims', async () => {
    const client = stack.client()
    const { data, error } = await client.signUp({
      email: 'Alice@Example.com',
      password: 'correct horse',
      options: { data: { name: 'Alice' } },
    })
    expect(error).toBeNull()
    expect(data.session?.access_token).toBeTruthy()
    expect(data.user?.email).toBe('alice@example.com')
    expect(data.user?.user_metadata).toMatchObject({
      name: 'Alice',
      email: 'alice@example.com',
      email_verified: true,
    })
    const { data: claims } = await client.getClaims()
    expect(claims?.claims).toMatchObject({
      sub: data.user?.id,
      role: 'authenticated',
      aud: 'authenticated',
      aal: 'aal1',
      is_anonymous: false,
      email: 'alice@example.com',
    })
  })

  it('signs in with the password and refuses a wrong one with invalid_credentials', async () => {
    const client = stack.client()
    const { data, error } = await client.signInWithPassword({
      email: 'alice@example.com',
      password: 'correct horse',
    })
    expect(error).toBeNull()
    expect(data.session?.refresh_token).toBeTruthy()
    const wrong = await client.signInWithPassword({ email: 'alice@example.com', password: 'nope nope' })
    expect(wrong.error?.code).toBe('invalid_credentials')
    expect(wrong.error?.status).toBe(400)
  })
})
