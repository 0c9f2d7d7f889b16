import { SignJWT } from 'jose'

/** The HS256 secret the test stacks share (≥ 32 characters, as Groundwork requires). */
export const TEST_JWT_SECRET = 'groundwork-test-secret-with-at-least-32-characters'

/**
 * Mints a JWT as Supabase issues them: `role` (and `sub` for a user), signed with
 * {@link TEST_JWT_SECRET} unless another secret is given.
 */
export async function signTestToken(
  claims: { role: string; sub?: string; [claim: string]: unknown },
  options: { secret?: string; expiresIn?: string | number; audience?: string } = {},
): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt()
  jwt = jwt.setExpirationTime(options.expiresIn ?? '1h')
  if (options.audience) jwt = jwt.setAudience(options.audience)
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET))
}
