/**
 * Names for server-side prepared statements, one per distinct SQL text. The SQL of a request
 * shape is identical whatever its values (they are parameters), so `?id=eq.1` and `?id=eq.2`
 * share one plan per connection: Postgres parses and plans it once. Capped, since node-pg keeps
 * prepared statements for the life of each connection.
 */
const names = new Map<string, string>()
const MAX_NAMED = 500

/** The statement name for `text`, or `undefined` once the cap is reached (unnamed, one-shot). */
export function statementName(text: string): string | undefined {
  const existing = names.get(text)
  if (existing) return existing
  if (names.size >= MAX_NAMED) return undefined
  const name = `gw_rest_${names.size + 1}`
  names.set(text, name)
  return name
}
