import { AuthError } from '../errors'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** GoTrue's `loadUser` check: 404 `validation_failed` for a malformed id. */
export function userIdParam(value: string | undefined): string {
  if (!value || !UUID.test(value))
    throw new AuthError('validation_failed', 'user_id must be an UUID', { status: 404 })
  return value
}

/** An optional uuid from a body (`id` on create). */
export function optionalUuid(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw new AuthError('validation_failed', 'ID must conform to the uuid v4 format', { status: 400 })
  }
  if (/^0{8}-0{4}-0{4}-0{4}-0{12}$/.test(value)) {
    throw new AuthError('validation_failed', 'ID cannot be a nil uuid', { status: 400 })
  }
  return value
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

/**
 * `ban_duration` as GoTrue parses it: a Go duration (`time.ParseDuration`: `"24h"`, `"1h30m"`,
 * `"90s"`) or `"none"` to lift a ban. Returns milliseconds (0 for `none`), or undefined when absent.
 *
 * @see https://pkg.go.dev/time#ParseDuration
 */
export function banDurationParam(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (value === 'none') return 0
  const text = typeof value === 'string' ? value : ''
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)]
  if (text === '' || parts.map((part) => part[0]).join('') !== text) {
    throw new AuthError(
      'validation_failed',
      `invalid format for ban duration: time: invalid duration "${text}"`,
      {
        status: 400,
      },
    )
  }
  return parts.reduce((total, part) => total + Number(part[1]) * (UNIT_MS[part[2] as string] as number), 0)
}

/** An optional object parameter (`user_metadata`, `app_metadata`, `data`). */
export function metadataParam(value: unknown, name: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AuthError('validation_failed', `${name} must be a JSON object`, { status: 400 })
  }
  return value as Record<string, unknown>
}

/** GoTrue's `paginate`: `page` ≥ 1 (default 1), `per_page` ≥ 1 (default 50, at most 1000). */
export function paginationParams(query: URLSearchParams): { page: number; perPage: number } {
  const parse = (name: string, fallback: number) => {
    const raw = query.get(name)
    if (raw === null || raw === '') return fallback
    // Digits only, as GoTrue's strconv.ParseUint: no "1e3", no "-1", nothing past 2^53.
    const value = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new AuthError(
        'validation_failed',
        `Bad Pagination Parameters: ${name} must be a positive integer`,
        {
          status: 400,
        },
      )
    }
    return value
  }
  const page = parse('page', 1)
  const perPage = Math.min(parse('per_page', 50), 1000)
  if ((page - 1) * perPage > Number.MAX_SAFE_INTEGER) {
    throw new AuthError('validation_failed', 'Bad Pagination Parameters: page is out of range', {
      status: 400,
    })
  }
  return { page, perPage }
}

/**
 * GoTrue's `addPaginationHeaders`: `<…?page=N&per_page=M>; rel="next"` (when there is a next
 * page) and `rel="last"`. `page` comes first in each URL, as auth-js' `listUsers` parses it;
 * non-empty `extra` parameters (`filter`, `query`) are carried along.
 */
export function paginationLinks(
  base: string,
  page: number,
  perPage: number,
  total: number,
  extra: Record<string, string> = {},
): string {
  const last = Math.max(1, Math.ceil(total / perPage))
  const url = (n: number) => {
    const query = new URLSearchParams({ page: String(n), per_page: String(perPage) })
    for (const [key, value] of Object.entries(extra)) if (value) query.set(key, value)
    return `<${base}?${query}>`
  }
  const links: string[] = []
  if (page < last) links.push(`${url(page + 1)}; rel="next"`)
  links.push(`${url(last)}; rel="last"`)
  return links.join(', ')
}
