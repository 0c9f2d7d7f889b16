/**
 * The fuzzy search PostgREST uses for its "Perhaps you meant …" hints (the Haskell `fuzzyset`
 * package, a port of fuzzyset.js): candidates are scored by the cosine similarity of their
 * character trigrams (then bigrams, if no trigram matches), the best 50 re-scored by Levenshtein
 * distance, and a result counts from `minScore` up. Reproducing it makes our hints (and their
 * absence) PostgREST's: `null` where PostgREST suggests nothing.
 *
 * @see https://github.com/PostgREST/postgrest/blob/main/src/PostgREST/Error.hs (`getFuzzyHint`)
 * @see https://github.com/Glench/fuzzyset.js
 */

/** PostgREST's threshold for table and function names; parameter lists use {@link DEFAULT_MIN_SCORE}. */
export const NAME_MIN_SCORE = 0.75
/** `fuzzyset`'s default (`getOne`). */
export const DEFAULT_MIN_SCORE = 0.33

const GRAM_SIZES = [3, 2]
const MAX_RESCORED = 50

/** The best candidate for `value` scoring at least `minScore`, or `null`. */
export function fuzzyBest(
  candidates: Iterable<string>,
  value: string,
  minScore = DEFAULT_MIN_SCORE,
): string | null {
  const entries = [...new Set(candidates)].map((text) => ({ text, lower: text.toLowerCase() }))
  const key = value.toLowerCase()
  const exact = entries.find((e) => e.lower === key)
  if (exact) return exact.text
  for (const size of GRAM_SIZES) {
    const query = gramCounts(key, size)
    const queryNorm = norm(query)
    const scored: Array<{ score: number; entry: (typeof entries)[number] }> = []
    for (const entry of entries) {
      const grams = gramCounts(entry.lower, size)
      let dot = 0
      for (const [gram, count] of query) dot += count * (grams.get(gram) ?? 0)
      if (dot > 0) scored.push({ score: dot / (queryNorm * norm(grams)), entry })
    }
    if (scored.length === 0) continue
    scored.sort((a, b) => b.score - a.score)
    const rescored = scored
      .slice(0, MAX_RESCORED)
      .map(({ entry }) => ({ score: similarity(entry.lower, key), entry }))
      .sort((a, b) => b.score - a.score)
      .filter((r) => r.score >= minScore)
    if (rescored.length > 0) return (rescored[0] as (typeof rescored)[number]).entry.text
  }
  return null
}

/** `1 - levenshtein / longer length`, `fuzzyset`'s re-scoring. */
function similarity(a: string, b: string): number {
  const longest = Math.max(a.length, b.length)
  return longest === 0 ? 1 : 1 - levenshtein(a, b) / longest
}

/** Grams of `-value-` after dropping everything but letters, digits, spaces and commas. */
function gramCounts(value: string, size: number): Map<string, number> {
  let simplified = `-${value.replace(/[^\p{L}\p{N}, ]+/gu, '')}-`
  while (simplified.length < size) simplified += '-'
  const counts = new Map<string, number>()
  for (let i = 0; i + size <= simplified.length; i++) {
    const gram = simplified.slice(i, i + size)
    counts.set(gram, (counts.get(gram) ?? 0) + 1)
  }
  return counts
}

function norm(counts: Map<string, number>): number {
  let sum = 0
  for (const count of counts.values()) sum += count * count
  return Math.sqrt(sum)
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = above
    }
  }
  return row[b.length] as number
}
