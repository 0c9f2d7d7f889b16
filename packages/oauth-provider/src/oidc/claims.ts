import type { User } from '@groundwork/auth'

/**
 * The standard claims (OIDC Core §5.1) a user's scopes release (§5.4): `profile` → name,
 * picture… from `user_metadata`; `email` → `email`, `email_verified`; `phone` → `phone_number`,
 * `phone_number_verified`. `sub` always.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#ScopeClaims
 */
export function userClaims(user: User, scopes: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = { sub: user.id }
  const meta = (user.user_metadata ?? {}) as Record<string, unknown>
  if (scopes.includes('profile')) {
    for (const [claim, keys] of PROFILE) {
      const value = keys.map((key) => meta[key]).find((v) => typeof v === 'string' && v !== '')
      if (value !== undefined) claims[claim] = value
    }
    claims.updated_at = Math.floor(new Date(user.updated_at ?? user.created_at).getTime() / 1000)
  }
  if (scopes.includes('email') && user.email) {
    claims.email = user.email
    claims.email_verified = Boolean(user.email_confirmed_at)
  }
  if (scopes.includes('phone') && user.phone) {
    claims.phone_number = user.phone.startsWith('+') ? user.phone : `+${user.phone}`
    claims.phone_number_verified = Boolean(user.phone_confirmed_at)
  }
  return claims
}

/** OIDC profile claims and the `user_metadata` keys (Supabase's and the OIDC names) they come from. */
const PROFILE: readonly [string, readonly string[]][] = [
  ['name', ['name', 'full_name']],
  ['given_name', ['given_name']],
  ['family_name', ['family_name']],
  ['nickname', ['nickname']],
  ['preferred_username', ['preferred_username', 'user_name']],
  ['picture', ['picture', 'avatar_url']],
  ['website', ['website']],
  ['locale', ['locale']],
]
