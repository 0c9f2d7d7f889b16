import { pushError } from '../errors'

/** A query parameter, `undefined` when absent or empty. */
export function param(url: URL, name: string): string | undefined {
  const value = url.searchParams.get(name)
  return value === null || value === '' ? undefined : value
}

/** The `limit` query parameter: a non-negative integer, or `PUSH_INVALID_REQUEST`. */
export function limitParam(url: URL): number | undefined {
  const value = url.searchParams.get('limit')
  if (value === null) return undefined
  // At most 15 digits: always a safe integer.
  if (!/^\d{1,15}$/.test(value))
    throw pushError('PUSH_INVALID_REQUEST', '`limit` must be a non-negative integer')
  return Number(value)
}
