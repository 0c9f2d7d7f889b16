import type { SchemaCache } from '../schema-cache/types'

/** Names issued by one `createRest` instance over its lifetime; past it, statements are unnamed. */
const MAX_NAMED = 2000

let instances = 0

/**
 * Names for server-side prepared statements, one per distinct SQL text, owned by one
 * `createRest` instance. The SQL of a request shape is identical whatever its values (they are
 * parameters), so `?id=eq.1` and `?id=eq.2` share one plan per connection: Postgres parses and
 * plans it once.
 *
 * - Per instance: names carry the instance's number, so two `createRest` on one pool never hand
 *   node-postgres the same name for different SQL ("Prepared statements must be unique").
 * - Reset on schema reload: a new schema cache starts a new generation of names, so a statement
 *   prepared against the old schema (whose result type may have changed) is never reused.
 * - Capped: node-postgres keeps prepared statements for the life of each connection, so at most
 *   {@link MAX_NAMED} names are issued per instance, across generations; later shapes run unnamed.
 */
export class StatementNames {
  readonly #prefix = `gw_rest_${++instances}`
  #names = new Map<string, string>()
  #cache: SchemaCache | null = null
  #generation = 0
  #issued = 0

  /** The statement name for `text` planned against `cache`, or `undefined` once the cap is reached. */
  name(text: string, cache: SchemaCache): string | undefined {
    if (cache !== this.#cache) {
      if (this.#cache !== null) this.#generation++
      this.#cache = cache
      this.#names = new Map()
    }
    const existing = this.#names.get(text)
    if (existing) return existing
    if (this.#issued >= MAX_NAMED) return undefined
    const name = `${this.#prefix}_${this.#generation}_${++this.#issued}`
    this.#names.set(text, name)
    return name
  }
}

/** A node-postgres query config for `text`, named while the request's instance is under its cap. */
export function namedStatement(
  ctx: { statements: StatementNames; cache: SchemaCache; options: { preparedStatements: boolean } },
  text: string,
  values: unknown[],
): { name?: string; text: string; values: unknown[] } {
  if (!ctx.options.preparedStatements) return { text, values }
  const name = ctx.statements.name(text, ctx.cache)
  return name ? { name, text, values } : { text, values }
}
