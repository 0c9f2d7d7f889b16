import { randomBytes } from 'node:crypto'
import { createDatabase, type Database, type DatabaseOptions, quoteIdent } from '@groundwork/core'
import pg from 'pg'
import { inject } from 'vitest'
import { withDatabase } from './global-setup'

/** A database of its own for one test file. */
export interface TestDatabase {
  /** Its connection URL (connects as the cluster's superuser, like a host app's owner role). */
  url: string
  name: string
  /** A `Database` on it; closed by `drop()`. */
  db: Database
  /** Closes `db` and drops the database. */
  drop(): Promise<void>
}

/**
 * Creates a database for the calling test file: a clone of the migrated template
 * (`CREATE DATABASE … TEMPLATE`, milliseconds), or an empty one with `{ migrated: false }`.
 */
export async function createTestDatabase(
  options: { migrated?: boolean } & Omit<DatabaseOptions, 'connectionString' | 'pool'> = {},
): Promise<TestDatabase> {
  const { adminUrl, template, prefix } = inject('groundwork')
  const { migrated = true, ...databaseOptions } = options
  const name = `${prefix}_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query(
      `create database ${quoteIdent(name)} template ${quoteIdent(migrated ? template : 'template0')}`,
    )
  } finally {
    await admin.end()
  }
  const url = withDatabase(adminUrl, name)
  const db = createDatabase({ connectionString: url, ...databaseOptions })
  return {
    url,
    name,
    db,
    async drop() {
      await db.close()
      const cleanup = new pg.Client({ connectionString: adminUrl })
      await cleanup.connect()
      try {
        await cleanup.query(`drop database if exists ${quoteIdent(name)} with (force)`)
      } finally {
        await cleanup.end()
      }
    },
  }
}

/** The URL of the test cluster's maintenance database (for tests that create databases themselves). */
export function adminDatabaseUrl(): string {
  return inject('groundwork').adminUrl
}
