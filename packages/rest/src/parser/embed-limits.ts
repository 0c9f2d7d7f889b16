import { pgrstError } from '../errors'
import type { SelectItem } from './ast'

/**
 * Refuses a `select` with more embedded resources than `maxEmbeds` (all levels) or nested deeper
 * than `maxEmbedDepth` — each embed is a lateral join the planner and executor pay for, so an
 * unbounded one is a way for any caller to hold a backend's CPU. Answered before any SQL runs.
 */
export function assertEmbedLimits(
  select: SelectItem[],
  limits: { maxEmbeds: number; maxEmbedDepth: number },
): void {
  let count = 0
  let deepest = 0
  const walk = (items: SelectItem[], depth: number) => {
    for (const item of items) {
      if (item.kind !== 'embed') continue
      count++
      deepest = Math.max(deepest, depth)
      walk(item.select, depth + 1)
    }
  }
  walk(select, 1)
  if (count > limits.maxEmbeds) {
    throw pgrstError(
      'PGRST100',
      `"failed to parse select parameter: ${count} embedded resources, more than the ${limits.maxEmbeds} allowed"`,
      null,
      'Embed fewer resources per request (the limit is the maxEmbeds option)',
    )
  }
  if (deepest > limits.maxEmbedDepth) {
    throw pgrstError(
      'PGRST100',
      `"failed to parse select parameter: embedding ${deepest} levels deep, more than the ${limits.maxEmbedDepth} allowed"`,
      null,
      'Nest fewer levels per request (the limit is the maxEmbedDepth option)',
    )
  }
}
