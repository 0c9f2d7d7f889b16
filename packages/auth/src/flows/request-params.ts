import type { RouteContext } from '../context'
import { AuthError } from '../errors'
import { isValidEmail, normalizeEmail } from '../users'

/** A required, valid email address from the body, normalised (GoTrue's `validateEmail`). */
export function emailParam(value: unknown, missing: string): string {
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
 * GoTrue's `GetReferrer`: `redirect_to` (query first — auth-js sends it there — then the body),
 * else the `Referer` header, whichever the allow-list accepts first; else the site URL.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/utilities/request.go
 */
export function redirectParam(ctx: RouteContext): string {
  const { redirects } = ctx.services
  const candidates = [ctx.query.get('redirect_to'), ctx.body.redirect_to, ctx.request.headers.get('referer')]
  for (const candidate of candidates) {
    if (typeof candidate === 'string' && candidate !== '' && redirects.isAllowed(candidate)) return candidate
  }
  return redirects.resolve(undefined)
}

/** A JSON object parameter (`data`, `user_metadata`, …) or `{}`. */
export function objectParam(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AuthError('validation_failed', `${name} must be a JSON object`, { status: 400 })
  }
  return value as Record<string, unknown>
}
