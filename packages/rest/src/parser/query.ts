import { parseError } from '../errors'
import { type ExtensionRegistry, NO_EXTENSIONS } from '../extensions/registry'
import type { EmbedPath, ParsedQuery } from './ast'
import { parseFilter } from './filter'
import { parseLogic } from './logic'
import { parseOrder } from './order'
import { parseSelect } from './select'

const STAR_SELECT = [{ kind: 'star' as const }]

/**
 * Parses a request's query parameters into a {@link ParsedQuery}. Keys may be prefixed with an
 * embed path (`actors.order=`, `actors.films.limit=`, `actors.name=eq.x`, `actors.or=(…)`).
 * `isArgument(key)` claims parameters for RPC GET arguments (they land in `rest`); `extensions`
 * contribute filter operators and order terms.
 *
 * @see https://docs.postgrest.org/en/v14/references/api/tables_views.html
 */
export function parseQuery(
  params: URLSearchParams,
  isArgument?: (key: string, value: string) => boolean,
  extensions: ExtensionRegistry = NO_EXTENSIONS,
): ParsedQuery {
  const query: ParsedQuery = {
    select: STAR_SELECT,
    selectDefault: true,
    filters: [],
    logic: [],
    order: [],
    limits: [],
    onConflict: null,
    columns: null,
    rest: [],
  }
  const limits = new Map<string, { path: EmbedPath; limit: number | null; offset: number | null }>()
  for (const [key, value] of params) {
    if (key === 'select') {
      query.select = value.trim() === '' ? STAR_SELECT : parseSelect(value)
      query.selectDefault = false
      continue
    }
    if (key === 'on_conflict') {
      query.onConflict = names(value, 'on_conflict')
      continue
    }
    if (key === 'columns') {
      query.columns = names(value, 'columns')
      continue
    }
    if (isArgument?.(key, value)) {
      query.rest.push([key, value])
      continue
    }
    const { path, last } = splitKey(key)
    if (last === 'order') {
      query.order.push({ path, terms: parseOrder(value, extensions) })
    } else if (last === 'limit' || last === 'offset') {
      const n = nonNegativeInt(value, key)
      const id = path.join('\u0000')
      const entry = limits.get(id) ?? { path, limit: null, offset: null }
      entry[last] = n
      limits.set(id, entry)
    } else if (last === 'or' || last === 'and') {
      const negated = path.at(-1) === 'not'
      const treePath = negated ? path.slice(0, -1) : path
      query.logic.push({ path: treePath, tree: parseLogic(last, negated, value, extensions) })
    } else {
      query.filters.push({ path, filter: parseFilter(last, value, extensions) })
    }
  }
  query.limits = [...limits.values()]
  return query
}

/**
 * Splits `a.b.col->x.y` into the embed path `[a, b]` and `col->x.y`: dots separate embed names
 * only before the first `->` and outside double quotes (`"information.cpe"=like.*MS*` is one
 * column, as PostgREST's reserved-character rule allows).
 */
function splitKey(key: string): { path: string[]; last: string } {
  const parts: string[] = []
  let start = 0
  let quoted = false
  let i = 0
  for (; i < key.length; i++) {
    const c = key[i]
    if (c === '\\' && quoted) {
      i++
      continue
    }
    if (c === '"') quoted = !quoted
    else if (!quoted && c === '-' && key[i + 1] === '>') break
    else if (!quoted && c === '.') {
      parts.push(key.slice(start, i))
      start = i + 1
    }
  }
  const last = key.slice(start)
  if (last === '' || parts.some((p) => p === '')) throw parseError(`filter (${key})`, 'empty column name')
  return { path: parts.map(unquote), last }
}

function unquote(name: string): string {
  return name.length > 1 && name.startsWith('"') && name.endsWith('"')
    ? name.slice(1, -1).replace(/\\(.)/g, '$1')
    : name
}

function nonNegativeInt(value: string, key: string): number {
  if (!/^\d{1,15}$/.test(value.trim()))
    throw parseError(`${key} (${value})`, 'expecting a non-negative integer')
  return Number(value.trim())
}

function names(value: string, key: string): string[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .map((s) => (s.startsWith('"') && s.endsWith('"') && s.length > 1 ? s.slice(1, -1) : s))
  if (list.some((s) => s === '' || s.includes('\u0000')))
    throw parseError(`${key} (${value})`, 'empty column name')
  return list
}
