import { parseError } from '../errors'
import type { OrderTerm } from './ast'
import { Reader } from './field'

/**
 * Parses `order=a.desc.nullslast,b,rel(c).asc`.
 *
 * @see https://docs.postgrest.org/en/v14/references/api/tables_views.html#ordering
 */
export function parseOrder(input: string): OrderTerm[] {
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
    while (reader.eat('.')) {
      const word = /^[a-z]+/.exec(reader.rest())?.[0] ?? ''
      reader.pos += word.length
      if ((word === 'asc' || word === 'desc') && direction === null && nulls === null) direction = word
      else if (word === 'nullsfirst' && nulls === null) nulls = 'first'
      else if (word === 'nullslast' && nulls === null) nulls = 'last'
      else
        throw parseError(
          what,
          `unexpected "${word || reader.rest()}" expecting asc, desc, nullsfirst or nullslast`,
        )
    }
    terms.push({ relation, field, direction, nulls })
    if (reader.eat(',')) continue
    if (!reader.done()) throw parseError(what, `unexpected "${reader.rest()}"`)
    return terms
  }
}
