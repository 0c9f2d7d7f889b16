import { parseError } from '../errors'
import { type ExtensionRegistry, NO_EXTENSIONS } from '../extensions/registry'
import {
  type Filter,
  FTS_OPERATORS,
  type FtsOperator,
  type Operation,
  QUANTIFIABLE_OPERATORS,
  SIMPLE_OPERATORS,
  type SimpleOperator,
} from './ast'
import { parseField, Reader } from './field'

const IS_VALUES = new Set(['null', 'not_null', 'true', 'false', 'unknown'])

/** True when `name` is an operator PostgREST knows (used to tell filters from RPC arguments). */
export function isOperatorName(name: string, extensions: ExtensionRegistry = NO_EXTENSIONS): boolean {
  return (
    SIMPLE_OPERATORS.has(name) ||
    FTS_OPERATORS.has(name) ||
    name === 'in' ||
    name === 'is' ||
    extensions.operators.has(name)
  )
}

/**
 * Parses the value side of `col=[not.]op[(modifier)].value`.
 *
 * @see https://docs.postgrest.org/en/v14/references/api/tables_views.html#operators
 */
export function parseOperation(
  input: string,
  extensions: ExtensionRegistry = NO_EXTENSIONS,
): { negated: boolean; operation: Operation } {
  let text = input
  let negated = false
  if (text.startsWith('not.')) {
    negated = true
    text = text.slice(4)
  }
  const match = /^([a-z_][a-z0-9_]*)(?:\(([^)]*)\))?\.([\s\S]*)$/.exec(text)
  if (!match) throw parseError(`filter (${input})`, 'expecting an operator followed by "." and a value')
  const op = match[1] as string
  const modifier = match[2]
  const value = match[3] as string
  if (op === 'in') {
    if (modifier !== undefined) throw parseError(`filter (${input})`, '"in" takes no modifier')
    return { negated, operation: { kind: 'in', values: parseList(value, input) } }
  }
  if (op === 'is') {
    const v = value.toLowerCase()
    if (modifier !== undefined || !IS_VALUES.has(v)) {
      throw parseError(`filter (${input})`, 'expecting null, not_null, true, false or unknown after "is."')
    }
    return { negated, operation: { kind: 'is', value: v as 'null' } }
  }
  if (FTS_OPERATORS.has(op)) {
    if (modifier !== undefined && !/^[\w.]+$/.test(modifier)) {
      throw parseError(`filter (${input})`, 'invalid text search configuration')
    }
    return {
      negated,
      operation: { kind: 'fts', op: op as FtsOperator, config: modifier ?? null, value },
    }
  }
  if (SIMPLE_OPERATORS.has(op)) {
    const simple = op as SimpleOperator
    if (modifier === undefined) return { negated, operation: { kind: 'simple', op: simple, value } }
    if ((modifier === 'any' || modifier === 'all') && QUANTIFIABLE_OPERATORS.has(simple)) {
      if (!/^\{[\s\S]*\}$/.test(value)) {
        throw parseError(`filter (${input})`, `expecting an array literal "{…}" after ${op}(${modifier}).`)
      }
      return { negated, operation: { kind: 'quantified', op: simple, quantifier: modifier, value } }
    }
    throw parseError(`filter (${input})`, `unexpected modifier "${modifier}" for operator "${op}"`)
  }
  const extension = extensions.operators.get(op)
  if (extension) {
    const argument = extension.parse(value, modifier ?? null)
    return { negated, operation: { kind: 'extension', op, modifier: modifier ?? null, value, argument } }
  }
  throw parseError(`filter (${input})`, `unknown operator "${op}"`)
}

/** `col` key + `op.value` → a {@link Filter}. */
export function parseFilter(
  fieldText: string,
  value: string,
  extensions: ExtensionRegistry = NO_EXTENSIONS,
): Filter {
  const field = parseField(fieldText, 'filter')
  const { negated, operation } = parseOperation(value, extensions)
  return { field, negated, operation }
}

/**
 * An `in` list: `(a,b,"c,d","e\"f")`. Items are trimmed of nothing (PostgREST keeps spaces);
 * double quotes protect reserved characters.
 */
export function parseList(value: string, input: string): string[] {
  const reader = new Reader(value)
  reader.expect('(', `filter (${input})`)
  const items: string[] = []
  if (reader.eat(')')) {
    if (!reader.done()) throw parseError(`filter (${input})`, 'unexpected characters after ")"')
    return items
  }
  for (;;) {
    if (reader.peek() === '"') {
      items.push(reader.quoted(`filter (${input})`))
    } else {
      const start = reader.pos
      while (!reader.done() && reader.peek() !== ',' && reader.peek() !== ')') reader.pos++
      items.push(value.slice(start, reader.pos))
    }
    if (reader.eat(',')) continue
    reader.expect(')', `filter (${input})`)
    break
  }
  if (!reader.done()) throw parseError(`filter (${input})`, 'unexpected characters after ")"')
  return items
}
