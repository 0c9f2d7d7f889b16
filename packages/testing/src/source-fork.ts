import { fileURLToPath } from 'node:url'

/**
 * `execArgv` for a child process (`fork`) that runs a test fixture from TypeScript source, as the
 * tests themselves do: the workspace packages resolve to their `src` (`@groundwork/source`
 * condition), `tsx` compiles, and `import text from './file.sql?raw'` yields the file's text (as
 * vite and the tsup build do). For crash tests: a worker or service killed mid-flight.
 */
export function sourceForkArgv(): string[] {
  return [
    '--conditions',
    '@groundwork/source',
    '--import',
    'tsx',
    '--import',
    fileURLToPath(new URL('../loaders/raw-loader.mjs', import.meta.url)),
  ]
}
