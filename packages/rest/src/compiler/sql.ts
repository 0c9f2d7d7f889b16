import { quoteIdent } from '@groundwork/core'

/**
 * Collects query parameters: every value from the request becomes `$n`, never SQL text.
 * Identifiers go through {@link ident} (core's `quoteIdent`).
 */
export class SqlParams {
  readonly values: unknown[] = []

  /** Adds a value and returns its placeholder, optionally cast (`$1::int4`). */
  add(value: unknown, cast?: string): string {
    this.values.push(value)
    return cast ? `$${this.values.length}::${cast}` : `$${this.values.length}`
  }
}

/** A quoted identifier. */
export const ident = quoteIdent

/** `"schema"."name"`. */
export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`
}

/** SQL-standard type names that are keywords rather than `pg_type` names: emitted unquoted. */
const TYPE_KEYWORDS = new Set([
  'integer',
  'int',
  'smallint',
  'bigint',
  'boolean',
  'real',
  'float',
  'decimal',
  'dec',
  'numeric',
  'char',
  'character',
  'varying',
  'double',
  'precision',
  'time',
  'timestamp',
  'with',
  'without',
  'zone',
  'bit',
  'interval',
  'national',
])

/**
 * A type name from `::cast` in the query string, checked to be a plain (possibly array,
 * possibly multi-word SQL-standard) type name before it is spliced into SQL — a cast cannot be a
 * parameter. Ordinary names are quoted; SQL keywords (`integer`, `double precision`) are not.
 * Returns `null` for anything else.
 */
export function safeTypeName(type: string): string | null {
  const trimmed = type.trim().toLowerCase()
  const match = /^([a-z_][a-z0-9_]*(?: [a-z_][a-z0-9_]*)*)((?:\[\])*)$/.exec(trimmed)
  if (!match) return null
  const words = (match[1] as string).split(' ')
  if (words.length > 1 && !words.every((w) => TYPE_KEYWORDS.has(w))) return null
  const base =
    words.length > 1 || TYPE_KEYWORDS.has(words[0] as string)
      ? words.join(' ')
      : quoteIdent(words[0] as string)
  return base + (match[2] ?? '')
}
