import { readdirSync, readFileSync } from 'node:fs'
import { defineMigrations, type MigrationSet } from '@groundwork/core'

const DIR = new URL('../../../migrations/', import.meta.url)

/** The demo application's own schema (root `migrations/`): todo lists with RLS policies and seed data. */
export function demoMigrations(): MigrationSet {
  const files = Object.fromEntries(
    readdirSync(DIR)
      .filter((name) => name.endsWith('.sql'))
      .map((name) => [name, readFileSync(new URL(name, DIR), 'utf8')]),
  )
  return defineMigrations('demo', files)
}
