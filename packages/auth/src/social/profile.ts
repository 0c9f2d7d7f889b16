/**
 * Who the provider says the user is: what a profile mapper returns, and what becomes the
 * identity's `identity_data` (GoTrue's `provider.Claims`) and is copied into `user_metadata`.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/api/provider/provider.go
 */
export interface ExternalProfile {
  /** The provider's stable user id (`sub`); becomes the identity's `id`/`provider_id`. */
  id: string
  email?: string | null | undefined
  /** Whether the provider verified `email`; an unverified email never links accounts. */
  emailVerified?: boolean | undefined
  name?: string | null | undefined
  /** The user's handle (`preferred_username`, GitHub's `login`). */
  username?: string | null | undefined
  avatarUrl?: string | null | undefined
  /** More claims kept in `identity_data` (the provider's custom fields). */
  claims?: Record<string, unknown> | undefined
}

/** GoTrue's `identity_data`/`user_metadata` keys for a profile (both the OIDC and the legacy names). */
export function identityData(issuer: string, profile: ExternalProfile): Record<string, unknown> {
  const data: Record<string, unknown> = { ...(profile.claims ?? {}) }
  const set = (key: string, value: unknown) => {
    if (value !== undefined && value !== null && value !== '') data[key] = value
  }
  set('iss', issuer)
  data.sub = profile.id
  data.provider_id = profile.id
  set('email', profile.email?.toLowerCase())
  data.email_verified = Boolean(profile.email && profile.emailVerified)
  data.phone_verified = false
  set('name', profile.name)
  set('full_name', profile.name)
  set('preferred_username', profile.username)
  set('user_name', profile.username)
  set('avatar_url', profile.avatarUrl)
  set('picture', profile.avatarUrl)
  return data
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined

/** Maps standard OIDC claims (id_token or userinfo, OIDC Core §5.1) to a profile. */
export function profileFromClaims(claims: Record<string, unknown>): ExternalProfile {
  const { sub, email, email_verified, name, preferred_username, picture, ...rest } = claims
  // Some providers (Apple, older Azure) send `email_verified` as the string "true".
  const verified = email_verified === true || email_verified === 'true'
  const extra: Record<string, unknown> = {}
  for (const key of ['given_name', 'family_name', 'nickname', 'locale', 'hd', 'tid', 'website', 'profile']) {
    if (rest[key] !== undefined) extra[key] = rest[key]
  }
  return {
    id: str(sub) ?? '',
    email: str(email) ?? null,
    emailVerified: verified,
    name: str(name) ?? null,
    username: str(preferred_username) ?? null,
    avatarUrl: str(picture) ?? null,
    claims: extra,
  }
}
