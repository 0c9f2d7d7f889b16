/**
 * The one function that turns a name into an SQL identifier: double-quoted, inner quotes doubled.
 * Every package builds identifiers through it; values always go through query parameters.
 *
 * @see https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
 * @example quoteIdent('my "table"') // => '"my ""table"""'
 */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new TypeError('An SQL identifier cannot contain a NUL character')
  return `"${name.replaceAll('"', '""')}"`
}

/** `schema.name` with both parts quoted. */
export function quoteQualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`
}

/**
 * A string literal for the rare places Postgres accepts no parameter (DDL in migrations).
 * Prefer parameters everywhere else.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\u0000')) throw new TypeError('An SQL literal cannot contain a NUL character')
  const escaped = value.replaceAll("'", "''")
  return value.includes('\\') ? `E'${escaped.replaceAll('\\', '\\\\')}'` : `'${escaped}'`
}
