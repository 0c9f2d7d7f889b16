/**
 * `pnpm bench` for @groundwork/client: the min+gzip size of an app using REST + auth through the
 * modular entries, beside the same app with `@supabase/supabase-js`, both built by esbuild in
 * this process (browser, minified ESM) from the published `dist`.
 */
import { bundle, REST_AUTH_APP, SUPABASE_APP } from './bundle'

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`
const rows: [string, string][] = [
  [
    'REST only (@groundwork/client/rest)',
    `import { createConnection } from '@groundwork/client/connection'\nimport { createRestClient } from '@groundwork/client/rest'\nexport const rest = createRestClient(createConnection('https://x.example', 'k'))`,
  ],
  ['REST + auth (@groundwork/client/rest, /auth)', REST_AUTH_APP],
  [
    'everything (createClient from @groundwork/client)',
    `import { createClient } from '@groundwork/client'\nexport const client = createClient('https://x.example', 'k')`,
  ],
  ['@supabase/supabase-js createClient', SUPABASE_APP],
]
const results = []
for (const [name, source] of rows) results.push({ name, ...(await bundle(source)) })
const width = Math.max(...results.map((r) => r.name.length))
console.log(`${'bundle'.padEnd(width)}  ${'min'.padStart(10)}  ${'min+gzip'.padStart(10)}`)
for (const r of results)
  console.log(`${r.name.padEnd(width)}  ${kb(r.minified).padStart(10)}  ${kb(r.gzipped).padStart(10)}`)
const ours = results[1]!.gzipped
const theirs = results[3]!.gzipped
console.log(
  `\nREST + auth vs supabase-js (min+gzip): ${(ours / theirs).toFixed(2)}× (${ours < theirs ? 'smaller' : 'NOT smaller'})`,
)
