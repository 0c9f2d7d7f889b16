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
  'time',
  'timestamp',
  'interval',
  'bit',
  'double precision',
  'character varying',
  'bit varying',
  'time with time zone',
  'time without time zone',
  'timestamp with time zone',
  'timestamp without time zone',
])

/**
 * A type name from `::cast` in the query string, checked to be a plain (possibly array) type name
 * before it is spliced into SQL — a cast cannot be a parameter. Ordinary names are quoted; the
 * SQL-standard keyword types (`integer`, `double precision`) are not. Returns `null` otherwise.
 */
export function safeTypeName(type: string): string | null {
  const trimmed = type.trim().toLowerCase().replace(/\s+/g, ' ')
  const match = /^([a-z_][a-z0-9_]*(?: [a-z_][a-z0-9_]*)*)((?:\[\])*)$/.exec(trimmed)
  if (!match) return null
  const name = match[1] as string
  if (TYPE_KEYWORDS.has(name)) return name + (match[2] ?? '')
  if (name.includes(' ')) return null
  return quoteIdent(name) + (match[2] ?? '')
}
