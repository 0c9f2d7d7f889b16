import { ConfigError } from '@groundwork/core'
import { signTestToken, TEST_JWT_SECRET } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthError, createAuth } from '../src/index'
import { type CoreStack, createCoreStack } from './core-support'

// A user's `role` is the `role` claim of their access tokens, which REST, realtime and storage
// switch to: `role: "postgres"` from the admin API was a superuser login. Users may only have
// `authenticated` or an `allowedRoles` entry; `authenticate` accepts only those and the API roles.

let stack: CoreStack
beforeAll(async () => {
  stack = await createCoreStack({
    allowedRoles: ['editor'],
    hooks: {
      customAccessTokenClaims({ claims, user }) {
        const local = user.email?.split('@')[0] ?? ''
        if (local === 'hook-postgres') return { ...claims, role: 'postgres' }
        if (local === 'hook-service') return { ...claims, role: 'service_role' }
        if (local === 'hook-number') return { ...claims, role: 42 as unknown as string }
        if (local === 'hook-editor') return { ...claims, role: 'editor' }
        return claims
      },
    },
  })
})
afterAll(async () => {
  await stack.close()
})

const admin = (method: string, path: string, body?: unknown) =>
  stack.request(method, path, {
    body,
    headers: { authorization: `Bearer ${stack.serviceKey}`, 'x-supabase-api-version': '2024-01-01' },
  })

const FORBIDDEN_ROLES: unknown[] = [
  'postgres',
  'none',
  'service_role',
  'anon',
  'supabase_admin',
  'pg_read_server_files',
  'authenticator',
  42,
  true,
  ['service_role'],
  { role: 'postgres' },
]

describe('the admin API refuses any role but the allowed user roles', () => {
  it.each(FORBIDDEN_ROLES)(
    'POST /admin/users with role %j is 422 validation_failed and creates nobody',
    async (role) => {
      const email = `role-${JSON.stringify(role).replace(/\W/g, '')}@example.com`
      const response = await admin('POST', '/admin/users', { email, password: 'correct horse', role })
      expect(response.status).toBe(422)
      expect(await response.json()).toMatchObject({ code: 'validation_failed' })
      const { rows } = await stack.t.db.query('select 1 from auth.users where email = $1', [email])
      expect(rows).toHaveLength(0)
    },
  )

  it.each(FORBIDDEN_ROLES)(
    'PUT /admin/users/{id} with role %j is 422 validation_failed and keeps the role',
    async (role) => {
      const user = await stack.auth.api.admin.createUser({ email: `keep-${Math.random()}@example.com` })
      const response = await admin('PUT', `/admin/users/${user.id}`, { role })
      expect(response.status).toBe(422)
      expect(await response.json()).toMatchObject({ code: 'validation_failed' })
      expect((await stack.auth.api.admin.getUserById(user.id)).role).toBe('authenticated')
    },
  )

  it('refuses the same in-process (auth.api.admin), with AuthError validation_failed', async () => {
    const attempt = stack.auth.api.admin.createUser({ email: 'inproc@example.com', role: 'postgres' })
    await expect(attempt).rejects.toBeInstanceOf(AuthError)
    await expect(attempt).rejects.toMatchObject({ errorCode: 'validation_failed', status: 422 })
  })

  it('accepts authenticated and allowedRoles, and signs the role into the tokens', async () => {
    const created = await admin('POST', '/admin/users', {
      email: 'editor@example.com',
      password: 'correct horse',
      email_confirm: true,
      role: 'editor',
    })
    expect(created.status).toBe(200)
    expect(await created.json()).toMatchObject({ role: 'editor' })
    const { session } = await stack.auth.api.signInWithPassword({
      email: 'editor@example.com',
      password: 'correct horse',
    })
    const principal = await stack.auth.authenticate(
      new Request('http://x/', { headers: { authorization: `Bearer ${session.access_token}` } }),
    )
    expect(principal).toMatchObject({ kind: 'jwt', role: 'editor' })
  })
})

describe('the customAccessTokenClaims hook cannot hand out another role', () => {
  it.each(['hook-postgres', 'hook-service', 'hook-number'])(
    'fails the sign-in of %s with 422 validation_failed and signs nothing',
    async (local) => {
      const email = `${local}@example.com`
      const user = await stack.auth.api.admin.createUser({
        email,
        password: 'correct horse',
        email_confirm: true,
      })
      const response = await stack.request('POST', '/token?grant_type=password', {
        body: { email, password: 'correct horse' },
        headers: { 'x-supabase-api-version': '2024-01-01' },
      })
      expect(response.status).toBe(422)
      const body = await response.json()
      expect(body).toMatchObject({ code: 'validation_failed' })
      expect(body).not.toHaveProperty('access_token')
      // The session row went with the transaction.
      const { rows } = await stack.t.db.query('select 1 from auth.sessions where user_id = $1', [user.id])
      expect(rows).toHaveLength(0)
    },
  )

  it('lets the hook choose an allowed role', async () => {
    await stack.auth.api.admin.createUser({
      email: 'hook-editor@example.com',
      password: 'correct horse',
      email_confirm: true,
    })
    const { session } = await stack.auth.api.signInWithPassword({
      email: 'hook-editor@example.com',
      password: 'correct horse',
    })
    const payload = JSON.parse(Buffer.from(session.access_token.split('.')[1] ?? '', 'base64url').toString())
    expect(payload.role).toBe('editor')
  })
})

describe('auth.authenticate refuses tokens whose role is not a request role', () => {
  const authenticate = (token: string) =>
    stack.auth.authenticate(new Request('http://x/', { headers: { authorization: `Bearer ${token}` } }))

  it.each([
    { role: 'postgres' },
    { role: 'none' },
    { role: 'pg_read_server_files' },
    { role: 'supabase_admin' },
    { role: 42 },
    { role: ['service_role'] },
  ])('refuses %j with 401 bad_jwt', async (claims) => {
    // Claims no issuer of ours would sign (a role that is not a string, too).
    const token = await signTestToken(claims as { role: string })
    await expect(authenticate(token)).rejects.toMatchObject({ errorCode: 'bad_jwt', status: 401 })
  })

  it.each([
    [{ role: 'anon' }, 'anon'],
    [{ role: 'service_role' }, 'service_role'],
    [{ role: 'editor' }, 'editor'],
    [{}, 'anon'],
  ])('accepts %j as %s', async (claims, role) => {
    expect(await authenticate(await signTestToken(claims as { role: string }))).toMatchObject({ role })
  })
})

describe('the allowedRoles option', () => {
  it.each(['postgres', 'none', 'anon', 'service_role', 'pg_monitor', 'supabase_admin'])(
    'refuses %s with a ConfigError naming allowedRoles',
    (role) => {
      const create = () =>
        createAuth({ db: stack.t.db, jwt: { secret: TEST_JWT_SECRET }, allowedRoles: [role] })
      expect(create).toThrow(ConfigError)
      expect(create).toThrow(/allowedRoles\.0/)
    },
  )
})
