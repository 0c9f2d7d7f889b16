import { fileURLToPath } from 'node:url'

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url))

/**
 * Groundwork's packages are loaded by Node at run time (not bundled): they hold database pools,
 * listeners and job runners that belong to the server process, and ship their SQL inside `dist`.
 * @type {import('next').NextConfig}
 */
export default {
  serverExternalPackages: [
    '@groundwork/auth',
    '@groundwork/core',
    '@groundwork/jobs',
    '@groundwork/mail',
    '@groundwork/realtime',
    '@groundwork/rest',
  ],
  // pnpm links workspace packages from outside this folder.
  turbopack: { root: repositoryRoot },
  outputFileTracingRoot: repositoryRoot,
  // The repository's own `tsc` checks this app (root tsconfig.json); the build does not repeat it.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
}
