import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { defineMigrations, type MigrationSet } from '@groundwork/core'
import express, { type Router } from 'express'
import { issueApiKeys } from './keys'

/**
 * The todo app's own schema (`examples/web/migrations/`): the `attachments` bucket with
 * own-folder policies. Applied after the demo's todo schema; needs `@groundwork/storage`'s tables.
 */
export function webMigrations(): MigrationSet {
  const dir = new URL('../../web/migrations/', import.meta.url)
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .map((name) => [name, readFileSync(new URL(name, dir), 'utf8')] as const)
  return defineMigrations('demo-web', Object.fromEntries(files))
}

/** Where `examples/web` builds the todo app (`pnpm --filter @groundwork/example-web build`). */
export const WEB_DIST = new URL('../../web/dist/', import.meta.url).pathname

/**
 * The browser todo app at `/` (built from `examples/web`, served when `dist/` exists) and
 * `/config.json`, which tells it the anon key — public by design, as Supabase embeds it in front
 * ends; RLS decides what it may do.
 */
export function webRoutes(options: { jwtSecret: string; dist?: string }): Router {
  const router = express.Router()
  const keys = issueApiKeys(options.jwtSecret)
  router.get('/config.json', async (_request, response) => {
    response.set('cache-control', 'no-store').json({ anonKey: (await keys).anonKey })
  })
  const dist = options.dist ?? WEB_DIST
  if (existsSync(dist)) router.use(express.static(dist, { index: 'index.html', fallthrough: true }))
  else {
    router.get('/', (_request, response) => {
      response
        .type('text/plain')
        .send('The todo app is not built: run `pnpm --filter @groundwork/example-web build`, then restart.\n')
    })
  }
  return router
}
