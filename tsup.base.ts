import { readFile } from 'node:fs/promises'
import type { Options } from 'tsup'

/**
 * Shared tsup settings: ESM + `.d.ts`, and `?raw` imports (SQL migrations) embedded as strings,
 * matching what vite does in tests, so a package's migrations ship inside its bundle.
 */
export function packageBuild(entry: Record<string, string>, overrides: Partial<Options> = {}): Options {
  return {
    entry,
    format: ['esm'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node22',
    platform: 'node',
    esbuildPlugins: [
      {
        name: 'raw-import',
        setup(build) {
          build.onResolve({ filter: /\?raw$/ }, (args) => ({
            path: new URL(args.path.replace(/\?raw$/, ''), `file://${args.resolveDir}/`).pathname,
            namespace: 'raw',
          }))
          build.onLoad({ filter: /.*/, namespace: 'raw' }, async (args) => ({
            contents: await readFile(args.path, 'utf8'),
            loader: 'text',
          }))
        },
      },
    ],
    ...overrides,
  }
}
