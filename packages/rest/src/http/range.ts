import type { RequestRange } from '../context'
import { pgrstError } from '../errors'

/**
 * Combines the `Range: <from>-[to]` header (items unit, GET only) with the root `limit`/`offset`
 * parameters. An unsatisfiable range (`to < from`) is 416 PGRST103.
 *
 * @see https://docs.postgrest.org/en/v14/references/api/pagination_count.html
 */
export function requestRange(
  header: string | null,
  limit: number | null,
  offset: number | null,
  method: string,
): RequestRange {
  let from = 0
  let to: number | null = null
  if (header && (method === 'GET' || method === 'HEAD')) {
    const match = /^\s*(?:items=)?(\d{1,15})-(\d{0,15})\s*$/.exec(header)
    if (match) {
      from = Number(match[1])
      to = match[2] === '' ? null : Number(match[2])
      if (to !== null && to < from) {
        throw pgrstError(
          'PGRST103',
          'Requested range not satisfiable',
          `The lower boundary must be lower than or equal to the upper boundary in the Range header.`,
        )
      }
    }
  }
  let rangeLimit = to === null ? null : to - from + 1
  let rangeOffset = from
  if (offset !== null) rangeOffset += offset
  if (limit !== null) rangeLimit = rangeLimit === null ? limit : Math.min(rangeLimit, limit)
  return { offset: rangeOffset, limit: rangeLimit }
}
