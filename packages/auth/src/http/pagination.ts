import type { PageInfo, PageParams } from '../admin/pagination'

/**
 * `page` and `per_page` of an admin list query as GoTrue's `strconv.ParseUint` reads them: digits
 * only (no `1e3`, no `-1`, nothing past 16 digits); anything else reaches the api as `NaN`, which
 * it refuses with 400 `validation_failed`.
 */
export function pageQuery(query: URLSearchParams): PageParams {
  const parse = (name: string): number | undefined => {
    const raw = query.get(name)
    if (raw === null || raw === '') return undefined
    return /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN
  }
  const page = parse('page')
  const perPage = parse('per_page')
  return { ...(page === undefined ? {} : { page }), ...(perPage === undefined ? {} : { perPage }) }
}

/**
 * GoTrue's `addPaginationHeaders`: `X-Total-Count`, and `Link` with `<…?page=N&per_page=M>;
 * rel="next"` (when there is a next page) and `rel="last"`. `page` comes first in each URL, as
 * auth-js' `listUsers` parses it; non-empty `extra` parameters (`filter`, `query`) are carried along.
 */
export function paginationHeaders(
  base: string,
  info: PageInfo,
  extra: Record<string, string> = {},
): Record<string, string> {
  const url = (n: number) => {
    const query = new URLSearchParams({ page: String(n), per_page: String(info.perPage) })
    for (const [key, value] of Object.entries(extra)) if (value) query.set(key, value)
    return `<${base}?${query}>`
  }
  const links: string[] = []
  if (info.nextPage !== null) links.push(`${url(info.nextPage)}; rel="next"`)
  links.push(`${url(info.lastPage)}; rel="last"`)
  return { 'X-Total-Count': String(info.total), Link: links.join(', ') }
}
