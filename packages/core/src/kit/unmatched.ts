/**
 * The mark of "no route here": set on the router's 404 and carried onto the rendered response by
 * `errorResponse`, so `composeHandlers` can fall through to the next handler. A registered symbol
 * (`Symbol.for`), so every copy of core agrees on it; a non-enumerable own property, so nothing a
 * client sees changes (headers, status and body are those of an ordinary 404).
 */
const UNMATCHED: unique symbol = Symbol.for('groundwork.unmatched-route')

/** Marks `target` (a router 404 error, or the response rendered from one) as "no such route". */
export function markUnmatched<T extends object>(target: T): T {
  Object.defineProperty(target, UNMATCHED, { value: true, enumerable: false })
  return target
}

/** True when `target` was marked by {@link markUnmatched}. */
export function isUnmatched(target: unknown): boolean {
  return (
    typeof target === 'object' && target !== null && (target as { [UNMATCHED]?: unknown })[UNMATCHED] === true
  )
}
