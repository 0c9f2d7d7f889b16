import { SignJWT } from 'jose'

/** The anon and service_role API keys, as Supabase issues them: long-lived HS256 JWTs with a `role` claim. */
export async function issueApiKeys(secret: string): Promise<{ anonKey: string; serviceRoleKey: string }> {
  const key = new TextEncoder().encode(secret)
  const sign = (role: string) =>
    new SignJWT({ role, iss: 'groundwork' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt()
      .setExpirationTime('10y')
      .sign(key)
  const [anonKey, serviceRoleKey] = await Promise.all([sign('anon'), sign('service_role')])
  return { anonKey, serviceRoleKey }
}
