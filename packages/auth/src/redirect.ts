/**
 * The `redirect_to` allow-list (GoTrue's `SITE_URL` + `URI_ALLOW_LIST`): the site URL and its
 * sub-paths, exact entries, and globs where `*` matches within one host label or path segment and
 * `**` matches anything. Anything else falls back to the site URL, so links in mail can never
 * send a user (and their tokens) to a foreign origin.
 *
 * @see https://supabase.com/docs/guides/auth/redirect-urls
 */
export function createRedirectPolicy(siteUrl: string, allowList: string[]) {
  const patterns = allowList.map(globToRegExp)
  const site = new URL(siteUrl)

  function isAllowed(candidate: string): boolean {
    let url: URL
    try {
      url = new URL(candidate)
    } catch {
      return false
    }
    if (url.origin === site.origin) return true
    const normalized = url.href
    return patterns.some((pattern) => pattern.test(normalized) || pattern.test(normalized.replace(/\/$/, '')))
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

function globToRegExp(glob: string): RegExp {
  let out = ''
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string
    if (char === '*' && glob[i + 1] === '*') {
      out += '.*'
      i++
    } else if (char === '*') {
      out += '[^/.]*'
    } else {
      out += char.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    }
  }
  return new RegExp(`^${out}$`)
}
