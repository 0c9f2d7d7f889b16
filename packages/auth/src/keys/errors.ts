import { AuthError } from '../errors'

/** 404 `app_not_found` (also for a malformed id, and for another user's app in self-service). */
export const appNotFound = () => new AuthError('app_not_found', 'App not found', { status: 404 })

/** 404 `api_key_not_found`. */
export const keyNotFound = () => new AuthError('api_key_not_found', 'API key not found', { status: 404 })

/** 401 `invalid_api_key`: a malformed, unknown or wrong key, or (with its reason) one refused now. */
export const invalidApiKey = (message = 'Invalid API key') =>
  new AuthError('invalid_api_key', message, {
    status: 401,
    headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
  })
