import { realtimeError } from './errors'

/** A filter operator of Supabase Realtime's `postgres_changes` filter (the PostgREST subset it evaluates). */
export type FilterOperator = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'in' | 'is'

/** One parsed `column=operator.value` condition. */
export interface FilterCondition {
  column: string
  operator: FilterOperator
  /** The value text; for `in`, the list's elements; for `is`, `null` | `true` | `false`. */
  value: string | string[]
}

const OPERATORS: ReadonlySet<string> = new Set(['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'is'])

/**
 * Parses a filter in Supabase's syntax: `column=operator.value`, several conditions joined by
 * commas are ANDed (`list_id=eq.5,done=is.false`); `in` takes a parenthesised list
 * (`status=in.(open,"on hold")`); values with reserved characters may be double-quoted as in
 * PostgREST. Throws `REALTIME_INVALID_FILTER`.
 *
 * @see https://supabase.com/docs/guides/realtime/postgres-changes#available-filters
 */
export function parseFilter(filter: string): FilterCondition[] {
  const conditions: FilterCondition[] = []
  for (const part of splitTopLevel(filter, ',')) {
    if (part.trim() === '') throw invalid(filter, 'empty condition')
    const eq = part.indexOf('=')
    if (eq <= 0) throw invalid(filter, `"${part}" is not column=operator.value`)
    const column = part.slice(0, eq).trim()
    const rest = part.slice(eq + 1)
    const dot = rest.indexOf('.')
    const operator = dot < 0 ? rest : rest.slice(0, dot)
    if (!OPERATORS.has(operator)) {
      throw invalid(filter, `unknown operator "${operator}" (use eq, neq, lt, lte, gt, gte, in or is)`)
    }
    if (dot < 0) throw invalid(filter, `"${part}" has no value`)
    const raw = rest.slice(dot + 1)
    if (operator === 'in') {
      if (!raw.startsWith('(') || !raw.endsWith(')')) throw invalid(filter, 'in takes a list: in.(a,b,c)')
      const inner = raw.slice(1, -1)
      const values = inner === '' ? [] : splitTopLevel(inner, ',').map(unquote)
      conditions.push({ column, operator, value: values })
    } else if (operator === 'is') {
      const value = raw.toLowerCase()
      if (value !== 'null' && value !== 'true' && value !== 'false') {
        throw invalid(filter, 'is takes null, true or false')
      }
      conditions.push({ column, operator, value })
    } else {
      conditions.push({ column, operator: operator as FilterOperator, value: unquote(raw) })
    }
  }
  return conditions
}

/**
 * True when `row` (a change's record as JSON) satisfies every condition. Values compare as numbers
 * when the column holds a number, as `true`/`false` for booleans, otherwise as text; a missing or
 * null column matches only `is.null` (as in SQL, where comparisons with NULL are not true).
 */
export function matchesFilter(
  conditions: readonly FilterCondition[],
  row: Record<string, unknown> | null,
): boolean {
  if (conditions.length === 0) return true
  if (!row) return false
  for (const condition of conditions) {
    if (!matchesCondition(condition, row[condition.column])) return false
  }
  return true
}

function matchesCondition(condition: FilterCondition, actual: unknown): boolean {
  if (condition.operator === 'is') {
    if (condition.value === 'null') return actual === null || actual === undefined
    return actual === (condition.value === 'true')
  }
  if (actual === null || actual === undefined) return false
  if (condition.operator === 'in') {
    return (condition.value as string[]).some((value) => compare(actual, value) === 0)
  }
  const order = compare(actual, condition.value as string)
  if (order === null) return condition.operator === 'neq'
  switch (condition.operator) {
    case 'eq':
      return order === 0
    case 'neq':
      return order !== 0
    case 'lt':
      return order < 0
    case 'lte':
      return order <= 0
    case 'gt':
      return order > 0
    case 'gte':
      return order >= 0
  }
}

/** Orders a record value against a filter value, or null when they cannot be compared. */
function compare(actual: unknown, expected: string): number | null {
  if (typeof actual === 'number') {
    const value = Number(expected)
    if (expected.trim() === '' || Number.isNaN(value)) return null
    return actual === value ? 0 : actual < value ? -1 : 1
  }
  if (typeof actual === 'boolean') {
    if (expected !== 'true' && expected !== 'false') return null
    const value = expected === 'true'
    return actual === value ? 0 : actual ? 1 : -1
  }
  const text = typeof actual === 'string' ? actual : JSON.stringify(actual)
  return text === expected ? 0 : text < expected ? -1 : 1
}

/** Splits on `separator` outside double quotes and parentheses. */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = []
  let depth = 0
  let quoted = false
  let current = ''
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string
    if (quoted) {
      current += char
      if (char === '\\' && i + 1 < text.length) current += text[++i]
      else if (char === '"') quoted = false
      continue
    }
    if (char === '"') quoted = true
    else if (char === '(') depth++
    else if (char === ')') depth--
    if (char === separator && depth === 0) {
      parts.push(current)
      current = ''
    } else {
      current += char
    }
  }
  parts.push(current)
  return parts
}

/** PostgREST-style quoting: `"a,b"` → `a,b`, with `\"` and `\\` escapes. */
function unquote(value: string): string {
  const trimmed = value.trim()
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    return trimmed.slice(1, -1).replace(/\\(.)/g, '$1')
  }
  return value
}

function invalid(filter: string, reason: string) {
  return realtimeError('REALTIME_INVALID_FILTER', `Invalid filter "${filter}": ${reason}`, {
    hint: 'Filters use Supabase syntax: column=operator.value, e.g. list_id=eq.5 or status=in.(open,closed)',
  })
}
