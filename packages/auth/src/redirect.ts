/**
 * The `redirect_to` allow-list (GoTrue's `SITE_URL` + `URI_ALLOW_LIST`), compared on parsed URLs.
 *
 * GoTrue matches a glob against the whole URL string, so `http://localhost:*` also matched
 * `http://localhost:x@[2001:db8::1]/` (the `*` ate `x@[2001:db8::1]`) and a verify link delivered
 * `#access_token=…` to another host. Here both the candidate and each pattern are parsed with
 * WHATWG `URL` (what browsers follow) and scheme, host, port and path are compared separately:
 *
 * - scheme: equal (http/https, or a custom scheme a pattern names exactly, for native apps);
 *   `javascript:`, `data:`, `file:`, `vbscript:`, `blob:`, `about:` never;
 * - host: label by label; `*` matches within one label (`[a-z0-9_-]`), never a dot, `@`, `:` or `[`;
 * - port: equal (the scheme's default port is no port), or any with `*`;
 * - path: `*` within one segment, `**` across segments; the query is free.
 *
 * Candidates with userinfo (`user:pass@`), a trailing-dot host, a fragment, a backslash, control
 * characters or whitespace, an encoded `/`, `\` or NUL in the path, or `http:` without `//` are refused
 * outright: those are the strings other parsers read differently. The site URL's origin (and every
 * path under it) is always allowed, as in GoTrue. Anything refused falls back to the site URL.
 *
 * @see https://supabase.com/docs/guides/auth/redirect-urls
 * @see https://url.spec.whatwg.org/#url-parsing
 */

/** Schemes a redirect may never use, even if a pattern names them. */
const FORBIDDEN_SCHEMES = new Set(['javascript', 'data', 'file', 'vbscript', 'blob', 'about', 'filesystem'])
/** Schemes whose URLs WHATWG parses specially (lower-cased IDNA hosts, default ports, `\` as `/`). */
const WEB_SCHEMES = new Set(['http', 'https'])
const SCHEME = /^([a-z][a-z0-9+.-]*):/i
/** Control characters, whitespace, `\` and invisible format characters: never in a redirect URL. */
const UNSAFE_CHARACTER = /[\p{Cc}\p{Cf}\s\\]/u
/** Percent-encoded `/`, `\` and NUL: they blur segment boundaries for the server behind the path. */
const ENCODED_SEPARATOR = /%(2f|5c|00)/i
const MAX_LENGTH = 4096

/** One parsed allow-list entry. */
interface RedirectPattern {
  scheme: string
  /** Host labels: a literal, or a glob within one label. */
  labels: (string | RegExp)[]
  /** `''` for the default port, `'*'` for any. */
  port: string
  path: RegExp
}

/** A pattern string that cannot be an allow-list entry. */
export class RedirectPatternError extends Error {
  override readonly name = 'RedirectPatternError'
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** `*` within one path segment, `**` across segments. */
function pathGlob(pathname: string): RegExp {
  const out = pathname
    .split('**')
    .map((part) => part.split('*').map(escapeRegExp).join('[^/]*'))
    .join('.*')
  return new RegExp(`^${out}$`)
}

/**
 * Parses an allow-list entry: `scheme://host[:port][/path]` with globs in host labels, the port and
 * the path (or `scheme:/path` for a custom scheme without a host). Throws
 * {@link RedirectPatternError} saying what is wrong (checked once, by the options schema).
 */
export function parseRedirectPattern(source: string): RedirectPattern {
  const schemeMatch = SCHEME.exec(source)
  if (!schemeMatch) throw new RedirectPatternError('must start with a scheme, e.g. https://')
  const scheme = (schemeMatch[1] as string).toLowerCase()
  if (FORBIDDEN_SCHEMES.has(scheme)) throw new RedirectPatternError(`the ${scheme}: scheme is never allowed`)
  if (UNSAFE_CHARACTER.test(source)) {
    throw new RedirectPatternError('must not contain whitespace, control characters or backslashes')
  }
  if (/[?#]/.test(source)) {
    throw new RedirectPatternError('must not have a query or fragment (any query is allowed)')
  }
  const rest = source.slice(schemeMatch[0].length)
  const hasAuthority = rest.startsWith('//')
  if (!hasAuthority && WEB_SCHEMES.has(scheme)) throw new RedirectPatternError(`must start with ${scheme}://`)
  const authority = hasAuthority ? (/^\/\/([^/]*)/.exec(rest)?.[1] ?? '') : ''
  const rawPath = hasAuthority ? rest.slice(2 + authority.length) : rest
  if (authority.includes('@')) throw new RedirectPatternError('must not contain userinfo (user@)')
  const portMatch = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(authority)
  const host = portMatch?.[1] ?? ''
  const rawPort = portMatch?.[2]
  if (host.includes('**'))
    throw new RedirectPatternError('`**` is not allowed in the host (use `*` per label)')
  if (WEB_SCHEMES.has(scheme) && host === '') throw new RedirectPatternError('must name a host')
  if (rawPort !== undefined && rawPort !== '*' && !/^\d{1,5}$/.test(rawPort)) {
    throw new RedirectPatternError('the port must be digits or `*`')
  }

  // Canonicalise what is literal with the URL parser itself (IDNA, case, default port, dot
  // segments), with each wildcard label stood in for by a placeholder label.
  const hostLabels = host.split('.')
  const wildcard = hostLabels.map((label) => label.includes('*'))
  for (const [index, label] of hostLabels.entries()) {
    if (wildcard[index] && !/^[a-z0-9_*-]+$/i.test(label)) {
      throw new RedirectPatternError(`the host label "${label}" may hold only a-z, 0-9, -, _ and *`)
    }
  }
  const stand = hostLabels.map((label, index) => (wildcard[index] ? `wildcard${index}` : label)).join('.')
  const port = rawPort === '*' || rawPort === undefined ? '' : `:${rawPort}`
  let parsed: URL
  try {
    parsed = new URL(`${scheme}:${hasAuthority ? `//${stand}${port}` : ''}${rawPath}`)
  } catch {
    throw new RedirectPatternError('is not a valid URL')
  }
  const parsedLabels = parsed.hostname.split('.')
  if (wildcard.includes(true) && parsedLabels.length !== hostLabels.length) {
    throw new RedirectPatternError('wildcards are only allowed in domain names, not in IP addresses')
  }
  const labels = parsedLabels.map((label, index) => {
    if (!wildcard[index]) return label
    const glob = hostLabels[index] as string
    return new RegExp(`^${glob.split('*').map(escapeRegExp).join('[a-z0-9_-]*')}$`, 'i')
  })
  return { scheme, labels, port: rawPort === '*' ? '*' : parsed.port, path: pathGlob(parsed.pathname) }
}

function matches(pattern: RedirectPattern, url: URL, scheme: string): boolean {
  if (pattern.scheme !== scheme) return false
  if (pattern.port !== '*' && pattern.port !== url.port) return false
  const labels = url.hostname.split('.')
  if (labels.length !== pattern.labels.length) return false
  const hostOk = pattern.labels.every((expected, index) => {
    const label = labels[index] as string
    return typeof expected === 'string' ? expected === label : label !== '' && expected.test(label)
  })
  return hostOk && pattern.path.test(url.pathname)
}

/**
 * Parses a candidate with the checks that come before any comparison; null when it is refused
 * whatever the allow-list says.
 */
function parseCandidate(candidate: string): { url: URL; scheme: string } | null {
  if (candidate.length > MAX_LENGTH || UNSAFE_CHARACTER.test(candidate)) return null
  const schemeMatch = SCHEME.exec(candidate)
  if (!schemeMatch) return null
  const scheme = (schemeMatch[1] as string).toLowerCase()
  if (FORBIDDEN_SCHEMES.has(scheme)) return null
  const rest = candidate.slice(schemeMatch[0].length)
  // `http:evil.test` and `http:///evil.test` both parse as http://evil.test/ in WHATWG only.
  if (WEB_SCHEMES.has(scheme) && !/^\/\/[^/]/.test(rest)) return null
  const authority = /^\/\/([^/?#]*)/.exec(rest)?.[1] ?? ''
  // Userinfo, and a trailing-dot host (`localhost.`, `127.0.0.1.`): another name for some host.
  if (authority.includes('@') || /\.(:\d*)?$/.test(authority)) return null
  if (candidate.includes('#')) return null
  let url: URL
  try {
    url = new URL(candidate)
  } catch {
    return null
  }
  if (url.username !== '' || url.password !== '') return null
  if (ENCODED_SEPARATOR.test(url.pathname)) return null
  return { url, scheme }
}

/**
 * Builds the redirect policy of `siteUrl` and the allow-list (entries were checked by the options
 * schema; an entry that still fails to parse throws {@link RedirectPatternError}).
 */
export function createRedirectPolicy(siteUrl: string, allowList: string[]) {
  const patterns = allowList.map(parseRedirectPattern)
  const site = new URL(siteUrl)

  function isAllowed(candidate: string): boolean {
    const parsed = parseCandidate(candidate)
    if (!parsed) return false
    const { url, scheme } = parsed
    if (WEB_SCHEMES.has(scheme) && url.origin === site.origin) return true
    return patterns.some((pattern) => matches(pattern, url, scheme))
  }

  return {
    isAllowed,
    /** `redirectTo` when allowed, else the site URL. */
    resolve(redirectTo: unknown): string {
      return typeof redirectTo === 'string' && redirectTo !== '' && isAllowed(redirectTo)
        ? redirectTo
        : siteUrl
    },
  }
}

/** The redirect allow-list service. */
export type RedirectPolicy = ReturnType<typeof createRedirectPolicy>
