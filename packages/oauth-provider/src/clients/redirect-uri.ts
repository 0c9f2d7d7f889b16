import { OAuthProviderError } from '../errors'

/** Schemes a redirect URI may never use: they run code or read local data in the browser. */
const DANGEROUS_SCHEMES = new Set([
  'javascript:',
  'data:',
  'vbscript:',
  'file:',
  'blob:',
  'about:',
  'filesystem:',
])

/** True for an RFC 8252 §7.3 loopback redirect host (IP literals only: `localhost` is not one, §8.3). */
function isLoopbackHost(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === '[::1]'
}

/**
 * Checks a redirect URI a client registers: absolute, no fragment (RFC 6749 §3.1.2), no dangerous
 * scheme; `http` only for loopback IPs and `localhost`(RFC 8252 §7.3, §8.3); custom schemes for
 * native apps (RFC 8252 §7.1) allowed. 400 `invalid_redirect_uri` otherwise.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7
 */
export function assertRegistrableRedirectUri(uri: string): void {
  const fail = (why: string): never => {
    throw new OAuthProviderError('OAUTH_INVALID_REDIRECT_URI', `redirect_uri ${why}`)
  }
  if (typeof uri !== 'string' || uri.length > 2048) fail('must be a string of at most 2048 characters')
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    fail('must be an absolute URI')
    return
  }
  if (uri.includes('#')) fail('must not contain a fragment')
  if (DANGEROUS_SCHEMES.has(url.protocol)) fail(`must not use the ${url.protocol} scheme`)
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && url.hostname !== 'localhost') {
    fail('must use https (http only for loopback addresses)')
  }
  if ((url.protocol === 'http:' || url.protocol === 'https:') && url.username + url.password !== '') {
    fail('must not contain credentials')
  }
}

/**
 * Whether `requested` matches one of `registered`: exact string comparison (OAuth 2.1 §4.1.1,
 * RFC 9700 §4.1.3), except that for a registered `http` loopback IP URI any port is accepted
 * (RFC 8252 §7.3: native apps listen on an ephemeral port) — scheme, host, path and query must
 * still be identical. Fixes supabase/auth#2703.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 */
export function redirectUriMatches(requested: string, registered: readonly string[]): boolean {
  if (registered.includes(requested)) return true
  let want: URL
  try {
    want = new URL(requested)
  } catch {
    return false
  }
  if (want.protocol !== 'http:' || !isLoopbackHost(want.hostname) || requested.includes('#')) return false
  return registered.some((candidate) => {
    let have: URL
    try {
      have = new URL(candidate)
    } catch {
      return false
    }
    return (
      have.protocol === 'http:' &&
      have.hostname === want.hostname &&
      have.pathname === want.pathname &&
      have.search === want.search &&
      have.username === want.username &&
      have.password === want.password
    )
  })
}
