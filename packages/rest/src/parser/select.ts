import { parseError } from '../errors'
import type { AggregateFunction, SelectItem } from './ast'
import { Reader } from './field'

const AGGREGATES = new Set<AggregateFunction>(['count', 'sum', 'avg', 'min', 'max'])

/**
 * Parses `select=`: `*`, `col`, `alias:col`, `col::type`, `data->a->>b`, `col.sum()`, `count()`,
 * embeds `[alias:]rel[!hint][!inner|!left](…)` and spreads `...rel(…)`.
 *
 * @see https://docs.postgrest.org/en/v14/references/api/tables_views.html#vertical-filtering
 * @see https://docs.postgrest.org/en/v14/references/api/resource_embedding.html
 */
export function parseSelect(input: string): SelectItem[] {
  const reader = new Reader(input)
  const items = list(reader, input, 0)
  if (!reader.done()) throw parseError(`select parameter (${input})`, `unexpected "${reader.rest()}"`)
  return items
}

function list(reader: Reader, input: string, depth: number): SelectItem[] {
  const items: SelectItem[] = []
  if (depth > 0 && reader.peek() === ')') return items
  for (;;) {
    items.push(item(reader, input, depth))
    if (reader.eat(',')) continue
    return items
  }
}

function item(reader: Reader, input: string, depth: number): SelectItem {
  const what = `select parameter (${input})`
  if (depth > 20) throw parseError(what, 'embedding is nested too deeply')
  while (reader.peek() === ' ') reader.pos++
  if (reader.eat('*')) return { kind: 'star' }
  const spread = reader.eat('...')
  let alias: string | null = null
  let name = reader.identifier(what)
  if (reader.peek() === ':' && reader.peek(1) !== ':') {
    reader.pos++
    alias = name
    name = reader.identifier(what)
  }
  // `count()` aggregate without a column.
  if (!spread && name === 'count' && reader.startsWith('()')) {
    reader.pos += 2
    return { kind: 'count', alias, cast: cast(reader, what) }
  }
  if (spread || reader.peek() === '!' || reader.peek() === '(') {
    let hint: string | null = null
    let joinType: 'inner' | 'left' | null = null
    while (reader.eat('!')) {
      const word = reader.identifier(what)
      if (word === 'inner' || word === 'left') joinType = word
      else if (hint === null) hint = word
      else throw parseError(what, `unexpected "!${word}"`)
    }
    reader.expect('(', what)
    const select = list(reader, input, depth + 1)
    reader.expect(')', what)
    if (spread && alias !== null) throw parseError(what, 'a spread embed cannot have an alias')
    return { kind: 'embed', name, alias, hint, joinType, spread, select }
  }
  // A column, with an optional JSON path, cast and aggregate.
  const jsonPath = []
  while (reader.startsWith('->')) {
    const arrow = reader.eat('->>') ? '->>' : '->'
    if (arrow === '->') reader.eat('->')
    jsonPath.push({ arrow: arrow as '->' | '->>', key: reader.identifier(what) })
  }
  let fieldCast = cast(reader, what)
  let aggregate: { fn: AggregateFunction; cast: string | null } | null = null
  const agg = /^\.(count|sum|avg|min|max)\(\)/.exec(reader.rest())
  if (agg) {
    reader.pos += agg[0].length
    aggregate = { fn: agg[1] as AggregateFunction, cast: cast(reader, what) }
  } else if (fieldCast === null) {
    fieldCast = cast(reader, what)
  }
  if (aggregate && !AGGREGATES.has(aggregate.fn)) throw parseError(what, 'unknown aggregate')
  return { kind: 'field', field: { name, jsonPath }, alias, cast: fieldCast, aggregate }
}

function cast(reader: Reader, what: string): string | null {
  if (!reader.eat('::')) return null
  const match = /^[A-Za-z_][\w ]*(\[\])*/.exec(reader.rest())
  if (!match) throw parseError(what, 'expecting a type name after "::"')
  reader.pos += match[0].length
  return match[0].trim()
}
