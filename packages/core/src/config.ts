import type { z } from 'zod'
import { ConfigError } from './errors'

/**
 * Validates a factory's options once, at creation. The thrown `ConfigError` names the first bad
 * field (`jwt.secret`), prefixed by `scope` when given, so the fix is obvious.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, scope?: string): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const path = issue?.path.map(String).join('.') ?? ''
  const field = [scope, path].filter(Boolean).join('.') || scope || '(options)'
  throw new ConfigError(field, issue?.message ?? 'is invalid', { cause: result.error })
}
