import { parseError } from '../errors'
import { type ExtensionRegistry, NO_EXTENSIONS } from '../extensions/registry'
import type { OrderTerm } from './ast'
import { Reader } from './field'

/**
 * Parses `order=a.desc.nullslast,b,rel(c).asc`, and terms contributed by extensions right after
 * the column, `col.nearest(POINT(1 2)).desc`, whose argument is read up to its balancing `)`
 * (double quotes protect parentheses).
 *
 * @see https://docs.postgrest.org/en/v14/references/api/tables_views.html#ordering
 */
export function parseOrder(input: string, extensions: ExtensionRegistry = NO_EXTENSIONS): OrderTerm[] {
  const what = `order (${input})`
  const reader = new Reader(input)
  const terms: OrderTerm[] = []
  for (;;) {
    let field = reader.field(what)
    let relation: string | null = null
    if (field.jsonPath.length === 0 && reader.eat('(')) {
      relation = field.name
      field = reader.field(what)
      reader.expect(')', what)
    }
    let direction: OrderTerm['direction'] = null
    let nulls: OrderTerm['nulls'] = null
    let extension: OrderTerm['extension']
    while (reader.eat('.')) {
      const word = /^[a-z][a-z0-9_]*/.exec(reader.rest())?.[0] ?? ''
      reader.pos += word.length
      const contributed = extensions.orders.get(word)
      if (contributed && extension === undefined && direction === null && nulls === null && reader.eat('(')) {
        extension = { name: word, argument: contributed.parse(balanced(reader, what)) }
        continue
      }
      if ((word === 'asc' || word === 'desc') && direction === null && nulls === null) direction = word
      else if (word === 'nullsfirst' && nulls === null) nulls = 'first'
      else if (word === 'nullslast' && nulls === null) nulls = 'last'
      else
        throw parseError(
          what,
          `unexpected "${word || reader.rest()}" expecting asc, desc, nullsfirst or nullslast`,
        )
    }
    terms.push(
      extension ? { relation, field, direction, nulls, extension } : { relation, field, direction, nulls },
    )
    if (reader.eat(',')) continue
    if (!reader.done()) throw parseError(what, `unexpected "${reader.rest()}"`)
    return terms
  }
}

/** The text up to the `)` balancing an already-consumed `(`, which is consumed too. */
function balanced(reader: Reader, what: string): string {
  const start = reader.pos
  let depth = 1
  while (!reader.done()) {
    const c = reader.peek()
    if (c === '"') {
      reader.quoted(what)
      continue
    }
    if (c === '(') depth++
    else if (c === ')' && --depth === 0) {
      const text = reader.text.slice(start, reader.pos)
      reader.pos++
      return text
    }
    reader.pos++
  }
  throw parseError(what, 'unexpected end of input expecting ")"')
}
