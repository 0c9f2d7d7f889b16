import { AuthError } from '../errors'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A canonical UUID (checked before it reaches a `uuid` cast, which would fail with 22P02). */
export function isUuid(value: string): boolean {
  return UUID.test(value)
}

/** Lower-cases and trims an address, as GoTrue stores emails. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

// Same shape GoTrue validates: something@something.tld, ≤ 255 characters.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** A syntactically valid email address (GoTrue's `validateEmail`). */
export function isValidEmail(email: string): boolean {
  return email.length <= 255 && EMAIL.test(email)
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
