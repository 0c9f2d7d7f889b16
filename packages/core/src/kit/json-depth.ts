import { HttpError } from './errors'

const OPEN_OBJECT = 0x7b // {
const OPEN_ARRAY = 0x5b // [
const CLOSE_OBJECT = 0x7d // }
const CLOSE_ARRAY = 0x5d // ]
const QUOTE = 0x22 // "
const BACKSLASH = 0x5c // \

/**
 * Throws `HTTP_JSON_TOO_DEEP` when the JSON text nests objects/arrays deeper than `maxDepth`.
 *
 * Why before `JSON.parse`: V8 parses deep JSON fine, but whatever walks the value next —
 * `JSON.stringify`, zod, a recursive merge, Postgres' jsonb input — recurses and fails with a
 * stack overflow (a 500) on 100,000 levels. A linear scan of the text (strings skipped, so
 * brackets inside them do not count) refuses it first with a 400.
 */
export function assertJsonDepth(text: string, maxDepth: number): void {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
      continue
    }
    if (c === QUOTE) inString = true
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) {
        throw new HttpError('HTTP_JSON_TOO_DEEP', `JSON nested deeper than ${maxDepth} levels`)
      }
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--
  }
}
