/**
 * Reads a view's `_RETURN` rule (the `pg_node_tree` text of its query) and returns, for each
 * output column, the base relation and column it is a plain reference to (`resorigtbl`,
 * `resorigcol` of the top-level target list). Expressions have no origin and are left out.
 */
export function viewColumnOrigins(action: string): Map<string, { relid: number; attnum: number }> {
  const origins = new Map<string, { relid: number; attnum: number }>()
  // Find the top-level query's `:targetList` (depth 2: inside "(" and "{QUERY").
  let depth = 0
  let listStart = -1
  for (let i = 0; i < action.length; i++) {
    const c = action[i]
    if (c === '\\') {
      i++
      continue
    }
    if (c === '{' || c === '(') depth++
    else if (c === '}' || c === ')') depth--
    else if (depth === 2 && c === ':' && action.startsWith(':targetList ', i)) {
      listStart = i + ':targetList '.length
      break
    }
  }
  if (listStart === -1) return origins
  // Walk the entries: each `{TARGETENTRY …}` at depth 2 relative to the list start.
  depth = 0
  let entryStart = -1
  for (let i = listStart; i < action.length; i++) {
    const c = action[i]
    if (c === '\\') {
      i++
      continue
    }
    if (c === '{' || c === '(') {
      depth++
      if (depth === 2 && c === '{') entryStart = i
    } else if (c === '}' || c === ')') {
      if (depth === 2 && c === '}' && entryStart !== -1) {
        readEntry(topLevelText(action.slice(entryStart + 1, i)), origins)
        entryStart = -1
      }
      depth--
      if (depth === 0) break
    } else if (depth === 0 && c !== ' ') break
  }
  return origins
}

/** The text of a node with its nested nodes removed (so `:resname` of sub-entries is not seen). */
function topLevelText(text: string): string {
  let out = ''
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (c === '\\') {
      if (depth === 0) out += text.slice(i, i + 2)
      i++
      continue
    }
    if (c === '{' || c === '(') depth++
    else if (c === '}' || c === ')') depth--
    else if (depth === 0) out += c
  }
  return out
}

function readEntry(text: string, origins: Map<string, { relid: number; attnum: number }>): void {
  const name = /:resname ((?:\\.|\S)+)/.exec(text)?.[1]
  const relid = Number(/:resorigtbl (\d+)/.exec(text)?.[1] ?? 0)
  const attnum = Number(/:resorigcol (\d+)/.exec(text)?.[1] ?? 0)
  const junk = /:resjunk true/.test(text)
  if (!name || junk || relid === 0 || attnum === 0) return
  origins.set(name.replace(/\\(.)/g, '$1'), { relid, attnum })
}
