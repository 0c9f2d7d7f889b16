/** A lone UTF-16 surrogate: JSON can carry one (`"\ud800"`), Postgres text and jsonb cannot. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Whether Postgres can store `text` (no NUL, no lone surrogate). */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && !LONE_SURROGATE.test(text)
}

/**
 * The path of the first string (key or value) in `value` that Postgres cannot store, or null.
 * Checked before a message or device is written, so such input is a 400 rather than a failed insert.
 */
export function unstorablePath(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return isStorableText(value) ? null : path || '(value)'
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorablePath(value[i], `${path}.${i}`)
      if (found) return found
    }
    return null
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key
      if (!isStorableText(key)) return at
      const found = unstorablePath(item, at)
      if (found) return found
    }
  }
  return null
}
