import { UsageError } from './context'

/** A flag parsed as an integer, or undefined when absent. */
export function intFlag(value: string | boolean | undefined, name: string): number | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined
  // At most 15 digits: a safe integer that Postgres' integer types can be checked against.
  if (!/^-?\d{1,15}$/.test(value)) throw new UsageError(`--${name} must be an integer (at most 15 digits)`)
  return Number(value)
}

/** A flag parsed as JSON, or undefined when absent. */
export function jsonFlag(value: string | boolean | undefined, name: string): unknown {
  if (value === undefined || typeof value === 'boolean') return undefined
  try {
    return JSON.parse(value)
  } catch {
    throw new UsageError(`--${name} must be JSON, e.g. '{"key":"value"}'`)
  }
}

/** A flag as a string, or undefined. */
export function stringFlag(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/** The one required positional argument. */
export function positional(args: { positionals: string[] }, name: string): string {
  const value = args.positionals[0]
  if (!value) throw new UsageError(`Missing <${name}>`)
  if (args.positionals.length > 1) throw new UsageError(`Unexpected argument "${args.positionals[1]}"`)
  return value
}
