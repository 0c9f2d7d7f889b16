import { readdirSync } from 'node:fs'
import { defineConfig } from 'vitest/config'

/** Packages with their own unit tests (`src/**\/*.test.ts`, no database, no server). */
const packages = readdirSync(new URL('./packages', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)

const databaseSetup = {
  globalSetup: ['packages/testing/src/global-setup.ts'],
  setupFiles: ['packages/testing/src/leak-check.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
}

export default defineConfig({
  resolve: { conditions: ['@groundwork/source'] },
  ssr: { resolve: { conditions: ['@groundwork/source'] } },
  // The global setup (which imports every package's MigrationSet) is loaded through vitest's own
  // `__vitest__` environment, which does not inherit the conditions above.
  environments: { __vitest__: { resolve: { conditions: ['@groundwork/source'] } } },
  test: {
    projects: [
      ...packages.map((name) => ({
        extends: true as const,
        test: { name: `${name}:unit`, include: [`packages/${name}/src/**/*.test.ts`] },
      })),
      {
        extends: true,
        test: { name: 'integration', include: ['packages/*/test/**/*.test.ts'], ...databaseSetup },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/**/*.test.ts'], ...databaseSetup },
      },
      {
        extends: true,
        // Each example app booted on a database of its own, with a smoke flow (examples/*/test).
        test: { name: 'examples', include: ['examples/*/test/**/*.test.ts'], ...databaseSetup },
      },
    ],
  },
})
