import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { defineMigrations, type MigrationSet } from '@groundwork/core'

/**
 * The demo's todo schema (the repository's `migrations/`: lists, todos, RLS policies), found
 * from the working directory up (`next start` runs in this app's folder; the test, at the root).
 * Your app would keep its own `migrations/` folder next to it instead.
 */
export function todoMigrations(): MigrationSet {
  let dir = process.cwd()
  while (!existsSync(join(dir, 'migrations', '0001_todos.sql'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('migrations/0001_todos.sql not found above the working directory')
    dir = parent
  }
  const folder = join(dir, 'migrations')
  const files = readdirSync(folder)
    .filter((name) => name.endsWith('.sql'))
    .map((name) => [name, readFileSync(join(folder, name), 'utf8')] as const)
  return defineMigrations('demo', Object.fromEntries(files))
}
