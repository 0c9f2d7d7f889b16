import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CoreStack, createCoreStack } from './core-support'

let stack: CoreStack

beforeAll(async () => {
  stack = await createCoreStack({ disableSignup: true, anonymousSignIns: false, mailerAutoconfirm: false })
})
afterAll(async () => {
  await stack.close()
})

describe('instance switches', () => {
  it('refuses sign-ups with signup_disabled and anonymous sign-ins with anonymous_provider_disabled', async () => {
    const signUp = await stack.client().signUp({ email: 'closed@example.com', password: 'correct horse' })
    expect(signUp.error).toMatchObject({ status: 422, code: 'signup_disabled' })
    const settings = await (await stack.request('GET', '/settings')).json()
    expect(settings).toMatchObject({
      disable_signup: true,
      mailer_autoconfirm: false,
      external: { anonymous_users: false },
    })
  })

  it('still lets existing users sign in', async () => {
    await stack.auth.api.admin.createUser({
      email: 'existing@example.com',
      password: 'correct horse',
      email_confirm: true,
    })
    const { error } = await stack
      .client()
      .signInWithPassword({ email: 'existing@example.com', password: 'correct horse' })
    expect(error).toBeNull()
  })
})

describe('anonymous sign-ins when off', () => {
  it('answers anonymous_provider_disabled', async () => {
    const open = await createCoreStack({ anonymousSignIns: false })
    try {
      const { error } = await open.client().signInAnonymously()
      expect(error).toMatchObject({ status: 422, code: 'anonymous_provider_disabled' })
    } finally {
      await open.close()
    }
  })
})
