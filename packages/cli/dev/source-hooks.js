// Module hooks for running the workspace's TypeScript sources in place (registered by
// `groundwork.js`; the CLI tests use `load` too):
// - every import resolves with the `@groundwork/source` export condition, so `@groundwork/*`
//   packages load from `src/` rather than a `dist/` that may be missing or out of date;
// - `import text from './file.sql?raw'` yields the file's text, as vite and the tsup build do.
import { readFile } from 'node:fs/promises'

export async function resolve(specifier, context, nextResolve) {
  if (context.conditions.includes('@groundwork/source')) return nextResolve(specifier, context)
  return nextResolve(specifier, { ...context, conditions: [...context.conditions, '@groundwork/source'] })
}

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && url.endsWith('?raw')) {
    const text = await readFile(new URL(url.slice(0, -'?raw'.length)), 'utf8')
    return { format: 'module', source: `export default ${JSON.stringify(text)}`, shortCircuit: true }
  }
  return nextLoad(url, context)
}
