// Loads `?raw` imports (SQL migrations) as strings when the sources run under tsx, as vite does
// in tests and tsup does in builds.
import { register } from 'node:module'

register(
  `data:text/javascript,${encodeURIComponent(`
import { readFile } from 'node:fs/promises'
export async function load(url, context, nextLoad) {
  if (!url.endsWith('?raw')) return nextLoad(url, context)
  const text = await readFile(new URL(url.slice(0, -4)), 'utf8')
  return { format: 'module', source: 'export default ' + JSON.stringify(text), shortCircuit: true }
}`)}`,
)
