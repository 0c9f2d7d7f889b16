import { type Auth, createAuth } from '@groundwork/auth'
import { createTestDatabase, signTestToken, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import { createOAuthProvider, type OAuthProvider, type OAuthProviderOptions } from '../src/index'

/** Auth and the provider on a database of their own (issuer `http://localhost/auth/v1`). */
export interface ProviderStack {
  t: TestDatabase
  auth: Auth
  oauth: OAuthProvider
  serviceKey: string
  /** A confirmed user signed in with a password: id and access token. */
  user(email: string): Promise<{ id: string; accessToken: string }>
  close(): Promise<void>
}

export const ISSUER = 'http://localhost/auth/v1'

/** Builds a {@link ProviderStack}; `overrides` go to `createOAuthProvider`. */
export async function providerStack(overrides: Partial<OAuthProviderOptions> = {}): Promise<ProviderStack> {
  const t = await createTestDatabase()
  const auth = createAuth({ db: t.db, jwt: { secret: TEST_JWT_SECRET }, siteUrl: 'http://localhost' })
  const oauth = createOAuthProvider({ db: t.db, auth, issuer: ISSUER, tokenRateLimit: 0, ...overrides })
  return {
    t,
    auth,
    oauth,
    serviceKey: await signTestToken({ role: 'service_role' }),
    async user(email) {
      const password = 'fuzz-password-123'
      const created = await auth.api.admin.createUser({ email, password, email_confirm: true })
      const { session } = await auth.api.signInWithPassword({ email, password })
      return { id: created.id, accessToken: session.access_token }
    },
    async close() {
      await oauth.close()
      await auth.close()
      await t.drop()
    },
  }
}
