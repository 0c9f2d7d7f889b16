/**
 * Bundles an entry the way an app's bundler would (esbuild, browser platform, minified ESM) and
 * measures it: shared by the tree-shaking test and `pnpm bench` (bundle sizes).
 */
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const PACKAGE_DIR = new URL('..', import.meta.url).pathname

/** The bundle's text and its minified and min+gzip sizes in bytes. */
export interface Bundle {
  code: string
  minified: number
  gzipped: number
}

/**
 * Bundles `source` (an ES module importing `@groundwork/client…` or `@supabase/supabase-js`) for
 * browsers. `source: true` resolves workspace packages to their TypeScript sources (tests, no
 * build needed); false uses the built `dist` (what users get).
 */
export async function bundle(source: string, options: { fromSource?: boolean } = {}): Promise<Bundle> {
  const result = await build({
    stdin: { contents: source, resolveDir: PACKAGE_DIR, loader: 'ts' },
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: options.fromSource ? ['@groundwork/source'] : [],
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]?.text ?? ''
  return { code, minified: Buffer.byteLength(code), gzipped: gzipSync(code, { level: 9 }).length }
}

/** An app that uses REST and auth only, through the modular entries. */
export const REST_AUTH_APP = `
import { createConnection } from '@groundwork/client/connection'
import { createAuthClient } from '@groundwork/client/auth'
import { createRestClient } from '@groundwork/client/rest'
const connection = createConnection('https://api.example.com', 'key')
export const auth = createAuthClient(connection)
export const rest = createRestClient(connection)
`

/** The same app with supabase-js (which carries realtime, storage and functions along). */
export const SUPABASE_APP = `
import { createClient } from '@supabase/supabase-js'
export const supabase = createClient('https://api.example.com', 'key')
`
