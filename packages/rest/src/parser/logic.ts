import { parseError } from '../errors'
import { type ExtensionRegistry, NO_EXTENSIONS } from '../extensions/registry'
import type { LogicNode, LogicTree } from './ast'
import { Reader } from './field'
import { parseOperation } from './filter'

const RANGE_OPERATORS = new Set(['sl', 'sr', 'nxr', 'nxl', 'adj', 'ov', 'cs', 'cd'])

/**
 * Parses the value of `or=(…)`/`and=(…)` (the key gave the operator and negation) into a tree.
 * Items are filters `col.[not.]op.value` or nested `[not.]or(…)`/`[not.]and(…)`; values containing
 * `,` `(` `)` must be double-quoted, as in PostgREST.
 *
 * @see https://docs.postgrest.org/en/v14/references/api/tables_views.html#logical-operators
 */
export function parseLogic(
  op: 'and' | 'or',
  negated: boolean,
  value: string,
  extensions: ExtensionRegistry = NO_EXTENSIONS,
): LogicTree {
  const reader = new Reader(value)
  const tree = group(reader, op, negated, value, 0, extensions)
  if (!reader.done()) throw parseError(`logic tree (${value})`, `unexpected "${reader.rest()}"`)
  return tree
}

const MAX_DEPTH = 32

function group(
  reader: Reader,
  op: 'and' | 'or',
  negated: boolean,
  input: string,
  depth: number,
  extensions: ExtensionRegistry,
): LogicTree {
  const what = `logic tree (${input})`
  if (depth > MAX_DEPTH) throw parseError(what, 'logic trees are nested too deeply')
  reader.expect('(', what)
  const children: LogicNode[] = []
  for (;;) {
    children.push(node(reader, input, depth, extensions))
    if (reader.eat(',')) continue
    reader.expect(')', what)
    return { kind: 'logic', op, negated, children }
  }
}

function node(reader: Reader, input: string, depth: number, extensions: ExtensionRegistry): LogicNode {
  const what = `logic tree (${input})`
  const nested = /^(not\.)?(and|or)\(/.exec(reader.rest())
  if (nested) {
    reader.pos += (nested[1]?.length ?? 0) + (nested[2] as string).length
    return group(reader, nested[2] as 'and' | 'or', Boolean(nested[1]), input, depth + 1, extensions)
  }
  const field = reader.field(what)
  reader.expect('.', what)
  // Operator (with `not.` and modifier) up to the dot before the value.
  const opMatch = /^(not\.)?[a-z_][a-z0-9_]*(\([^)]*\))?\./.exec(reader.rest())
  if (!opMatch) throw parseError(what, `expecting an operator after "${field.name}."`)
  const opText = opMatch[0]
  reader.pos += opText.length
  const opName = opText
    .replace(/^not\./, '')
    .replace(/\(.*$/, '')
    .replace(/\.$/, '')
  const value = logicValue(reader, opName, input)
  const { negated, operation } = parseOperation(opText + value, extensions)
  return { kind: 'filter', filter: { field, negated, operation } }
}

/** Reads a value up to the `,`/`)` that ends the item, honouring quotes, `(…)` lists and `{…}` arrays. */
function logicValue(reader: Reader, op: string, input: string): string {
  const what = `logic tree (${input})`
  if (reader.peek() === '"') {
    const text = reader.quoted(what)
    // Re-quote for `in` lists is not needed: a quoted value is one scalar.
    return text
  }
  const start = reader.pos
  if (op === 'in') {
    reader.expect('(', what)
    while (!reader.done() && reader.peek() !== ')') {
      if (reader.peek() === '"') reader.quoted(what)
      else reader.pos++
    }
    reader.expect(')', what)
    return reader.text.slice(start, reader.pos)
  }
  if (RANGE_OPERATORS.has(op) && (reader.peek() === '[' || reader.peek() === '(')) {
    while (!reader.done() && reader.peek() !== ']' && reader.peek() !== ')') reader.pos++
    if (reader.done()) throw parseError(what, 'unterminated range')
    reader.pos++
    return reader.text.slice(start, reader.pos)
  }
  let braces = 0
  while (!reader.done()) {
    const c = reader.peek()
    if (c === '{') braces++
    else if (c === '}') braces--
    else if (braces <= 0 && (c === ',' || c === ')')) break
    if (c === '"' && braces > 0) {
      reader.quoted(what)
      continue
    }
    reader.pos++
  }
  return reader.text.slice(start, reader.pos)
}
