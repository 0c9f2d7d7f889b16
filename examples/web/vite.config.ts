import { defineConfig } from 'vite'

/**
 * Builds the todo app into `dist/`, which the demo serves at `/`. `@groundwork/client` is bundled
 * from its TypeScript sources (the workspace's `@groundwork/source` condition), so no package
 * build is needed first. `pnpm dev` proxies the API to a demo on :3000.
 */
export default defineConfig({
  resolve: { conditions: ['@groundwork/source', 'browser', 'module', 'import', 'default'] },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: {
    proxy: Object.fromEntries(
      ['/auth', '/rest', '/realtime', '/storage', '/mail', '/config.json'].map((path) => [
        path,
        'http://localhost:3000',
      ]),
    ),
  },
})
