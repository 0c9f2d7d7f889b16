import type { Preferences } from '../context'

const ENUMS: Record<string, readonly string[]> = {
  return: ['minimal', 'headers-only', 'representation'],
  count: ['exact', 'planned', 'estimated'],
  resolution: ['merge-duplicates', 'ignore-duplicates'],
  missing: ['default', 'null'],
  handling: ['strict', 'lenient'],
  tx: ['commit', 'rollback'],
  params: ['single-object'],
}

/**
 * Parses every `Prefer` header (comma-separated `key=value` tokens). Unknown or malformed tokens
 * are collected in `invalid` (PGRST122 under `handling=strict`, ignored otherwise).
 *
 * @see https://docs.postgrest.org/en/v14/references/api/preferences.html
 */
export function parsePrefer(header: string | null): Preferences {
  const prefer: Preferences = {
    return: null,
    count: null,
    resolution: null,
    missing: null,
    handling: null,
    tx: null,
    maxAffected: null,
    timezone: null,
    params: null,
    invalid: [],
  }
  if (!header) return prefer
  for (const raw of header.split(',')) {
    const token = raw.trim()
    if (token === '') continue
    const eq = token.indexOf('=')
    const key = (eq === -1 ? token : token.slice(0, eq)).trim().toLowerCase()
    const value =
      eq === -1
        ? ''
        : token
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1')
    if (key in ENUMS) {
      if (ENUMS[key]?.includes(value)) {
        ;(prefer as unknown as Record<string, string>)[key] = value
      } else prefer.invalid.push(token)
    } else if (key === 'max-affected') {
      if (/^\d{1,15}$/.test(value)) prefer.maxAffected = Number(value)
      else prefer.invalid.push(token)
    } else if (key === 'timezone') {
      if (/^[\w+\-/:]{1,64}$/.test(value)) prefer.timezone = value
      else prefer.invalid.push(token)
    } else prefer.invalid.push(token)
  }
  return prefer
}
