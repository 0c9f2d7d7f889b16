import { toAuthError } from '../errors'

/** Wraps every method so that what it throws is an `AuthError`/`OAuthError` (see `toAuthError`). */
export function guarded<T extends object>(methods: T): T {
  const out: Record<string, unknown> = {}
  for (const [name, method] of Object.entries(methods)) {
    out[name] = async (...args: unknown[]) => {
      try {
        return await (method as (...args: unknown[]) => Promise<unknown>)(...args)
      } catch (error) {
        throw toAuthError(error)
      }
    }
  }
  return out as T
}
