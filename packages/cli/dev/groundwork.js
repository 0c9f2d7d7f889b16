#!/usr/bin/env node
// `groundwork` inside this repository (the workspace's bin; the published package's bin is
// `dist/bin.js`, set by `publishConfig.bin`). It runs the CLI's TypeScript source, and the sources
// of the packages it imports, through tsx: it works before `pnpm build` and never runs a stale
// or half-built `dist/`. See docs/cli.md § "Running it".
import { register } from 'node:module'
import { register as registerTsx } from 'tsx/esm/api'

registerTsx()
// Registered after tsx, so these hooks run first: the condition reaches tsx's resolver, and
// `?raw` files never reach its loader.
register('./source-hooks.js', import.meta.url)
await import('../src/bin.ts')
