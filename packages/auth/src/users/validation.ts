import { AuthError } from '../errors'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A canonical UUID (checked before it reaches a `uuid` cast, which would fail with 22P02). */
export function isUuid(value: string): boolean {
  return UUID.test(value)
}

/**
 * The canonical form of an address: what is stored, looked up, compared and rate-limited.
 * Unicode NFKC first, so compatibility look-alikes become the plain characters they stand for
 * (full-width `ｆｕｌｌ＠ｅｘａｍｐｌｅ．ｃｏｍ` is `full@example.com`, `ﬁ` is `fi`), then
 * lower-cased (GoTrue lower-cases addresses), NFKC again (lower-casing can leave a sequence NFKC
 * composes) and trimmed. Migration 0004 brought stored addresses to this form and keeps direct
 * SQL writes in it.
 *
 * @see https://unicode.org/reports/tr15/#Norm_Forms
 */
export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').toLowerCase().normalize('NFKC').trim()
}

// Same shape GoTrue validates: something@something.tld, ≤ 255 characters.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
/**
 * Code points no address may hold: controls, invisible format characters (zero-width joiners,
 * bidi overrides), private-use, unassigned and lone surrogates, and U+FFFD — the mark of bytes that
 * were not UTF-8 (which the body reader refuses; a JSON `\ufffd` escape still gets here).
 */
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}\uFFFD]/u

/** A syntactically valid email address (GoTrue's `validateEmail`, plus {@link FORBIDDEN}). */
export function isValidEmail(email: string): boolean {
  return email.length <= 255 && EMAIL.test(email) && !FORBIDDEN.test(email)
}

/** A required, valid email address, normalised (GoTrue's `validateEmail`); 400 `validation_failed` otherwise. */
export function requireEmail(value: unknown, missing: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new AuthError('validation_failed', missing, { status: 400 })
  }
  const email = normalizeEmail(value)
  if (!isValidEmail(email)) {
    throw new AuthError('validation_failed', 'Unable to validate email address: invalid format', {
      status: 400,
    })
  }
  return email
}

/** The scripts an address is checked against; a letter of any other script counts as "other". */
const SCRIPTS = [
  'Latin',
  'Greek',
  'Cyrillic',
  'Armenian',
  'Georgian',
  'Hebrew',
  'Arabic',
  'Syriac',
  'Thaana',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Tibetan',
  'Myanmar',
  'Khmer',
  'Mongolian',
  'Ethiopic',
  'Cherokee',
  'Canadian_Aboriginal',
  'Hangul',
  'Hiragana',
  'Katakana',
  'Bopomofo',
  'Han',
].map((name) => ({ name, pattern: new RegExp(`^\\p{Script=${name}}$`, 'u') }))
/** Characters every script shares (digits, punctuation) or that take their base's (combining marks). */
const SHARED = /^[\p{Script=Common}\p{Script=Inherited}]$/u
/**
 * Script sets that one writing system mixes by design (UTS #39's augmented script sets: Japanese,
 * Korean, Chinese with Bopomofo): a label within one of them is single-script.
 */
const WRITING_SYSTEMS = [
  new Set(['Han', 'Hiragana', 'Katakana']),
  new Set(['Han', 'Hangul']),
  new Set(['Han', 'Bopomofo']),
]

function scriptOf(char: string): string | null {
  if (SHARED.test(char)) return null
  return SCRIPTS.find((script) => script.pattern.test(char))?.name ?? 'other'
}

/**
 * Whether a label (a run between `@`, `.`, `+`, `_` and `-`) mixes scripts: `раypal` (Cyrillic
 * `р`, `а` with Latin) does, `josé`, `иван` and `山田たろう` do not. UTS #39's "mixed-script
 * confusable" in spirit: one writing system per label, ASCII digits and the separators free.
 *
 * @see https://www.unicode.org/reports/tr39/#Mixed_Script_Detection
 */
function mixesScripts(label: string): boolean {
  const scripts = new Set<string>()
  for (const char of label) {
    const script = scriptOf(char)
    if (script) scripts.add(script)
  }
  if (scripts.size <= 1) return false
  return !WRITING_SYSTEMS.some((system) => [...scripts].every((script) => system.has(script)))
}

/**
 * Refuses an address to give an account (sign-up, OTP sign-up, invite, admin create and update,
 * email change) when a label mixes scripts in a confusable way: 400 `email_address_invalid`, so
 * look-alikes of an address cannot be registered beside it. Lookups (sign-in, recovery) only
 * normalise, so an account created before this check still signs in.
 */
export function assertSingleScript(email: string): void {
  if (email.split(/[@.+_-]/).some(mixesScripts)) {
    throw new AuthError(
      'email_address_invalid',
      'Unable to validate email address: it mixes writing systems (e.g. Latin and Cyrillic letters)',
      { status: 400 },
    )
  }
}

/** {@link requireEmail} for an address to give an account: also {@link assertSingleScript}. */
export function requireAccountEmail(value: unknown, missing: string): string {
  const email = requireEmail(value, missing)
  assertSingleScript(email)
  return email
}

/**
 * An optional JSON-object parameter (`data`, `user_metadata`, `app_metadata`): undefined when
 * absent or null, else it must be an object (400 `validation_failed`).
 */
export function metadataParam(value: unknown, name: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AuthError('validation_failed', `${name} must be a JSON object`, { status: 400 })
  }
  return value as Record<string, unknown>
}

/** A string parameter as GoTrue's JSON decoding leaves it: anything else is the empty string. */
export function stringParam(value: unknown): string {
  return typeof value === 'string' ? value : ''
}
