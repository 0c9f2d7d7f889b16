import { AuthError } from '../errors'
import type { RolePolicy } from '../users/roles'
import { assertSingleScript, isUuid, isValidEmail, normalizeEmail } from '../users/validation'

/** GoTrue's `loadUser` check: 404 `validation_failed` for a malformed id. */
export function userIdParam(value: string | undefined): string {
  if (!value || !isUuid(value))
    throw new AuthError('validation_failed', 'user_id must be an UUID', { status: 404 })
  return value
}

/** An optional uuid (`id` on create); the nil uuid is refused. */
export function optionalUuid(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value !== 'string' || !isUuid(value)) {
    throw new AuthError('validation_failed', 'ID must conform to the uuid v4 format', { status: 400 })
  }
  if (/^0{8}-0{4}-0{4}-0{4}-0{12}$/.test(value)) {
    throw new AuthError('validation_failed', 'ID cannot be a nil uuid', { status: 400 })
  }
  return value
}

/** An optional string attribute; anything but a string (or empty) is 400 `validation_failed`. */
export function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value !== 'string')
    throw new AuthError('validation_failed', `${name} must be a string`, { status: 400 })
  return value
}

/** An optional email attribute, normalised; a confusable one is 400 `email_address_invalid`. */
export function optionalEmail(value: unknown): string | undefined {
  const raw = optionalString(value, 'email')
  if (raw === undefined) return undefined
  const email = normalizeEmail(raw)
  if (!isValidEmail(email)) {
    throw new AuthError('validation_failed', 'Unable to validate email address: invalid format', {
      status: 400,
    })
  }
  assertSingleScript(email)
  return email
}

/**
 * An optional `role` attribute: absent, null or `''` leave it unset; anything else must be a role
 * users may have (`services.roles`), else 422 `validation_failed` — a service-role caller must not
 * be able to mint `postgres` (superuser) logins.
 */
export function optionalRole(value: unknown, roles: RolePolicy): string | undefined {
  if (value === undefined || value === null || value === '') return undefined
  return roles.requireUserRole(value)
}

/** An optional phone attribute: E.164 digits (spaces, dashes, parentheses and `+` dropped). */
export function optionalPhone(value: unknown): string | undefined {
  const raw = optionalString(value, 'phone')
  if (raw === undefined) return undefined
  const phone = raw.replace(/[\s()+-]/g, '')
  if (!/^[1-9]\d{7,14}$/.test(phone)) {
    throw new AuthError('validation_failed', 'Invalid phone number format (E.164 required)', { status: 400 })
  }
  return phone
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

/**
 * `ban_duration` as GoTrue parses it: a Go duration (`time.ParseDuration`: `"24h"`, `"1h30m"`,
 * `"90s"`) or `"none"` to lift a ban. Returns milliseconds (0 for `none`), or undefined when absent.
 *
 * @see https://pkg.go.dev/time#ParseDuration
 */
export function banDurationParam(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (value === 'none') return 0
  const text = typeof value === 'string' ? value : ''
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)]
  if (text === '' || parts.map((part) => part[0]).join('') !== text) {
    throw new AuthError(
      'validation_failed',
      `invalid format for ban duration: time: invalid duration "${text}"`,
      {
        status: 400,
      },
    )
  }
  return parts.reduce((total, part) => total + Number(part[1]) * (UNIT_MS[part[2] as string] as number), 0)
}
