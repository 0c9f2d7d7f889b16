import { AuthError } from '../errors'

/** A page request of the admin lists: 1-based `page`, `perPage` entries. */
export interface PageParams {
  /** @default 1 */
  page?: number
  /** At most 1000. @default 50 */
  perPage?: number
}

/** Where a page of an admin list stands (auth-js' `listUsers` pagination fields). */
export interface PageInfo {
  /** Entries matching, over all pages. */
  total: number
  page: number
  /** After the cap of 1000. */
  perPage: number
  /** The next page, or null on the last one. */
  nextPage: number | null
  lastPage: number
}

/**
 * GoTrue's `paginate`: `page` ≥ 1 (default 1), `perPage` ≥ 1 (default 50, at most 1000), both
 * integers, and an offset that stays an exact number; else 400 `validation_failed`.
 */
export function pageParams(params: PageParams): { page: number; perPage: number } {
  const check = (name: string, value: number | undefined, fallback: number) => {
    if (value === undefined) return fallback
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
  const page = check('page', params.page, 1)
  const perPage = Math.min(check('per_page', params.perPage, 50), 1000)
  if ((page - 1) * perPage > Number.MAX_SAFE_INTEGER) {
    throw new AuthError('validation_failed', 'Bad Pagination Parameters: page is out of range', {
      status: 400,
    })
  }
  return { page, perPage }
}

/** The {@link PageInfo} of `page` given `total` entries. */
export function pageInfo(total: number, page: number, perPage: number): PageInfo {
  const lastPage = Math.max(1, Math.ceil(total / perPage))
  return { total, page, perPage, nextPage: page < lastPage ? page + 1 : null, lastPage }
}
